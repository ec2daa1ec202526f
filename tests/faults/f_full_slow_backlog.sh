#!/usr/bin/env bash
# Full profile of slow_backlog.sh (labels faults;full).
export FX_PROFILE=full
# shellcheck source-path=SCRIPTDIR source=slow_backlog.sh
source "$(dirname "${BASH_SOURCE[0]}")/slow_backlog.sh"
