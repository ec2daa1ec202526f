#!/usr/bin/env bash
# Quick profile of town_kill9.sh (labels faults;quick).
export FX_PROFILE=quick
# shellcheck source-path=SCRIPTDIR source=town_kill9.sh
source "$(dirname "${BASH_SOURCE[0]}")/town_kill9.sh"
