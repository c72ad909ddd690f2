#!/bin/sh
# Generates the Python stubs of memspace's gRPC API, and of the error details it sends, into
# the directory given (default: gen/ beside this script, which git ignores). Needs grpcio-tools:
# Debian's python3-grpc-tools, or `pip install grpcio-tools`. PYTHON picks the interpreter;
# otherwise the first of python3 and /usr/bin/python3 (where Debian's packages are) that has it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/gen}
python=${PYTHON:-}
if [ -z "$python" ]; then
  for candidate in python3 /usr/bin/python3; do
    if "$candidate" -c 'import grpc_tools' >/dev/null 2>&1; then python=$candidate; break; fi
  done
fi
if [ -z "$python" ]; then
  echo "no python3 with grpcio-tools: apt-get install python3-grpcio python3-grpc-tools (or pip install grpcio grpcio-tools)" >&2
  exit 1
fi
mkdir -p "$out"
# grpc_tools.protoc adds its own copy of google/protobuf/*.proto (struct.proto, any.proto) to the
# include path, so neither protoc nor libprotobuf-dev is needed.
"$python" -m grpc_tools.protoc -I "$here/../../proto" -I "$here" \
  --python_out="$out" --grpc_python_out="$out" memspace/v1/memspace.proto error_details.proto
echo "stubs in $out (for $python)"
