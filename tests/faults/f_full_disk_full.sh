#!/usr/bin/env bash
# Full profile of disk_full.sh (labels faults;full).
export FX_PROFILE=full
# shellcheck source-path=SCRIPTDIR source=disk_full.sh
source "$(dirname "${BASH_SOURCE[0]}")/disk_full.sh"
