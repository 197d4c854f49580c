#!/usr/bin/env bash
# Fails, naming the lines, when a C++ file of the repository differs from what
# clang-format makes of it (.clang-format). Run by CTest as "clang_format".
# To fix: clang-format -i $(git ls-files '*.cc' '*.h')
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
git ls-files -z '*.cc' '*.h' | xargs -0 clang-format --dry-run --Werror
