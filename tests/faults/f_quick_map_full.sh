#!/usr/bin/env bash
# Quick profile of map_full.sh (labels faults;quick).
export FX_PROFILE=quick
# shellcheck source-path=SCRIPTDIR source=map_full.sh
source "$(dirname "${BASH_SOURCE[0]}")/map_full.sh"
