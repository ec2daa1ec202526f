#!/usr/bin/env bash
# Full profile of village_cut.sh (labels faults;full).
export FX_PROFILE=full
# shellcheck source-path=SCRIPTDIR source=village_cut.sh
source "$(dirname "${BASH_SOURCE[0]}")/village_cut.sh"
