#!/usr/bin/env bash
# Quick profile of slow_link.sh (labels faults;quick).
export FX_PROFILE=quick
# shellcheck source-path=SCRIPTDIR source=slow_link.sh
source "$(dirname "${BASH_SOURCE[0]}")/slow_link.sh"
