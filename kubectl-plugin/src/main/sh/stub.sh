#!/bin/sh
# kubectl-dirk: this shell line runs the Java program appended below it (a jar).
exec java ${DIRK_PLUGIN_JAVA_OPTS} -jar "$0" "$@"
