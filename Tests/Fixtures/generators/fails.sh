#!/bin/sh
# A failing `winnow augment --command` generator for the tests: reads its input, writes one
# good-looking line, complains on standard error and exits with status 3.
cat >/dev/null
echo '{"parent": "x", "text": "y"}'
echo "fails.sh: the model is not loaded" >&2
exit 3
