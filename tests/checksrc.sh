#!/bin/sh
# checksrc.sh: the house rules a compiler does not check (curl's checksrc idea).
#  1. clang-format with the repository's .clang-format leaves every C file unchanged;
#  2. no banned function: sprintf, vsprintf, strcpy, strcat, atoi, atol, strtok, gets, system;
#  3. every C file opens with a comment saying what it is for.
# Usage: checksrc.sh SOURCE_DIR
set -u
cd "${1:-.}" || exit 2
files=$(ls actions/*.[ch] common/*.[ch] config/*.c sensor/*.c serve/*.c spool/*.[ch] \
	triggers/*.[ch] webhook/*.c tests/lib/*.[ch] tests/unit/*.[ch] tests/fuzz/*.[ch] 2>/dev/null)
status=0

if command -v clang-format >/dev/null 2>&1; then
	for f in $files; do
		if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
			echo "checksrc: $f: not in house style (run: make format)"
			status=1
		fi
	done
else
	echo "checksrc: clang-format not installed: style not checked" >&2
	status=1
fi

# Comments are stripped first, so a comment may name a banned function.
banned='\b(sprintf|vsprintf|strcpy|strcat|atoi|atol|strtok|gets|system)[[:space:]]*\('
for f in $files; do
	hits=$(perl -0777 -pe 's{/\*.*?\*/}{}gs; s{//[^\n]*}{}g' "$f" | grep -nE "$banned")
	if [ -n "$hits" ]; then
		echo "checksrc: $f: banned function: $hits"
		status=1
	fi
	if ! head -n 1 "$f" | grep -q '^/\*'; then
		echo "checksrc: $f: does not open with a comment saying what it is for"
		status=1
	fi
done

[ $status -eq 0 ] && echo "checksrc: $(echo "$files" | wc -w) files ok"
exit $status
