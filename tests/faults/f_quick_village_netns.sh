#!/usr/bin/env bash
# Quick profile of village_netns.sh (labels faults;quick). Needs root for its network namespace:
# exits 77 (skipped) without.
export FX_PROFILE=quick
# shellcheck source-path=SCRIPTDIR source=village_netns.sh
source "$(dirname "${BASH_SOURCE[0]}")/village_netns.sh"
