#!/usr/bin/env bash
# Full profile of village_kill9.sh (labels faults;full).
export FX_PROFILE=full
# shellcheck source-path=SCRIPTDIR source=village_kill9.sh
source "$(dirname "${BASH_SOURCE[0]}")/village_kill9.sh"
