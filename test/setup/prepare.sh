#!/usr/bin/env bash
# Prepares system-level test peers before `npm test` (run as the npm pretest step).
set -euo pipefail
