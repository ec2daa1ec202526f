#!/usr/bin/env bash
# Quick profile of village_kill9.sh (labels faults;quick).
export FX_PROFILE=quick
# shellcheck source-path=SCRIPTDIR source=village_kill9.sh
source "$(dirname "${BASH_SOURCE[0]}")/village_kill9.sh"
