# Shell helpers both test suites (integration, e2e) load.

# searchable_by_all lets any uid, such as a user namespace's root, walk the
# path to $1 (chmod o+x on it and every parent).
searchable_by_all() {
	local d=$1
	while [ "$d" != / ]; do
		chmod o+x "$d"
		d=$(dirname "$d")
	done
}
