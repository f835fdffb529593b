package libcontainer

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// MaxInput bounds every input runo reads whole (config.json, exec
// --process, update -r, the state directory's files): far above any real
// one (docker's seccomp profile is 20 KiB), far below what would hurt the
// host. Reading is what is bounded, so /dev/zero ends too.
const MaxInput = 8 << 20

// ReadInput reads r whole, up to MaxInput; name says what it is in errors.
func ReadInput(r io.Reader, name string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxInput+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if len(data) > MaxInput {
		return nil, fmt.Errorf("%s: larger than %d MiB", name, MaxInput>>20)
	}
	return data, nil
}

// errNotRegular is readRegular's refusal of a device, fifo, socket or
// directory.
var errNotRegular = errors.New("not a regular file")

// readRegular reads a regular file whole, bounded. The open does not block
// on a fifo, and anything but a regular file is refused before a byte is
// read.
func readRegular(path string) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: %w", path, errNotRegular)
	}
	// Blocking again, so that os.File does not bring up the poller.
	unix.SetNonblock(fd, false)
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	return ReadInput(f, path)
}
