#!/usr/bin/env bash
# Quick profile of disk_full.sh (labels faults;quick).
export FX_PROFILE=quick
# shellcheck source-path=SCRIPTDIR source=disk_full.sh
source "$(dirname "${BASH_SOURCE[0]}")/disk_full.sh"
