#!/usr/bin/env bash
# Full profile of town_wipe.sh (labels faults;full).
export FX_PROFILE=full
# shellcheck source-path=SCRIPTDIR source=town_wipe.sh
source "$(dirname "${BASH_SOURCE[0]}")/town_wipe.sh"
