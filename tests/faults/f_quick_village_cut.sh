#!/usr/bin/env bash
# Quick profile of village_cut.sh (labels faults;quick).
export FX_PROFILE=quick
# shellcheck source-path=SCRIPTDIR source=village_cut.sh
source "$(dirname "${BASH_SOURCE[0]}")/village_cut.sh"
