#!/usr/bin/env bash
# Full profile of village_restore.sh (labels faults;full).
export FX_PROFILE=full
# shellcheck source-path=SCRIPTDIR source=village_restore.sh
source "$(dirname "${BASH_SOURCE[0]}")/village_restore.sh"
