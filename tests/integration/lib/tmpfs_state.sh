# What a system partition keeps on its tmpfs mounts (/run, /dev/shm, /dev):
# files, modes, owners, mtimes, a hard link, an empty directory, a symbolic
# link, a fifo and a device node, planted from the host through a partition
# process's /proc/PID/root (the partition itself has no CAP_MKNOD), then
# compared after a move or a restart. CRIU carries these mounts' contents
# (issue 19 changed how: patch 0009; patch 0012 archives them in CRIU's own
# process, and this is what it must keep as GNU tar did).

# tmpfs_plant PID: the state, in the mount namespace of host process PID.
tmpfs_plant() {
	local r=/proc/$1/root
	mkdir -p "$r/run/corral-test"
	printf 'run note\n' >"$r/run/corral-test/note"
	chmod 0640 "$r/run/corral-test/note"
	chown 1234:5678 "$r/run/corral-test/note"
	ln -s note "$r/run/corral-test/link"
	ln "$r/run/corral-test/note" "$r/run/corral-test/hard"
	mkdir -m 0710 "$r/run/corral-test/empty"
	chown 1234:5678 "$r/run/corral-test/empty"
	touch -d '2020-02-02 02:02:02' "$r/run/corral-test/note" "$r/run/corral-test/empty"
	mkfifo -m 0600 "$r/run/corral-test/fifo"
	head -c 70000 /dev/urandom >"$r/dev/shm/blob"
	chmod 0600 "$r/dev/shm/blob"
	chown 4321:8765 "$r/dev/shm/blob"
	mknod -m 0620 "$r/dev/corral-test-null" c 1 3
	chown 0:5 "$r/dev/corral-test-null"
	tmpfs_state "$1" >"${TMPFS_STATE_FILE:?set TMPFS_STATE_FILE}"
}

# tmpfs_state PID: one line per planted entry (type, mode, owner, device
# numbers, link count, mtime, content digest).
tmpfs_state() {
	local r=/proc/$1/root f
	for f in run/corral-test/note run/corral-test/hard run/corral-test/empty run/corral-test/link run/corral-test/fifo \
		dev/shm/blob dev/corral-test-null; do
		if [ -e "$r/$f" ] || [ -L "$r/$f" ]; then
			printf '%s %s ' "$f" "$(stat -c '%F %a %u:%g %t:%T %h %Y' "$r/$f")"
			if [ -f "$r/$f" ] && [ ! -L "$r/$f" ]; then md5sum <"$r/$f" | cut -d' ' -f1; else readlink "$r/$f" || echo; fi
		else
			echo "$f missing"
		fi
	done
}

# tmpfs_check PID WHAT: the state planted earlier is there, in PID's namespace.
tmpfs_check() {
	local now
	now=$(tmpfs_state "$1")
	[ "$now" = "$(cat "$TMPFS_STATE_FILE")" ] ||
		fail "$2: the tmpfs contents changed: $(diff <(cat "$TMPFS_STATE_FILE") <(echo "$now") | tr '\n' ' ')"
	pass "$2: /run, /dev/shm and /dev contents intact (files, modes, owners, mtimes, links, empty dir, fifo, device node)"
}
