#!/usr/bin/env bash
# Quick profile of town_sigstop.sh (labels faults;quick).
export FX_PROFILE=quick
# shellcheck source-path=SCRIPTDIR source=town_sigstop.sh
source "$(dirname "${BASH_SOURCE[0]}")/town_sigstop.sh"
