#!/usr/bin/env bash
# Full profile of slow_link.sh (labels faults;full).
export FX_PROFILE=full
# shellcheck source-path=SCRIPTDIR source=slow_link.sh
source "$(dirname "${BASH_SOURCE[0]}")/slow_link.sh"
