#!/usr/bin/env bash
# Full profile of town_sigstop.sh (labels faults;full).
export FX_PROFILE=full
# shellcheck source-path=SCRIPTDIR source=town_sigstop.sh
source "$(dirname "${BASH_SOURCE[0]}")/town_sigstop.sh"
