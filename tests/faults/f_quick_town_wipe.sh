#!/usr/bin/env bash
# Quick profile of town_wipe.sh (labels faults;quick).
export FX_PROFILE=quick
# shellcheck source-path=SCRIPTDIR source=town_wipe.sh
source "$(dirname "${BASH_SOURCE[0]}")/town_wipe.sh"
