#!/usr/bin/env bash
# Quick profile of village_restore.sh (labels faults;quick).
export FX_PROFILE=quick
# shellcheck source-path=SCRIPTDIR source=village_restore.sh
source "$(dirname "${BASH_SOURCE[0]}")/village_restore.sh"
