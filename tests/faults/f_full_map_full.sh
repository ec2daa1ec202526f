#!/usr/bin/env bash
# Full profile of map_full.sh (labels faults;full).
export FX_PROFILE=full
# shellcheck source-path=SCRIPTDIR source=map_full.sh
source "$(dirname "${BASH_SOURCE[0]}")/map_full.sh"
