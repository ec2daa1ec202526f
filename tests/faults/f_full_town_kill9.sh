#!/usr/bin/env bash
# Full profile of town_kill9.sh (labels faults;full).
export FX_PROFILE=full
# shellcheck source-path=SCRIPTDIR source=town_kill9.sh
source "$(dirname "${BASH_SOURCE[0]}")/town_kill9.sh"
