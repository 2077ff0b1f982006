package subproc

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
	"time"
	"unsafe"
)

// prSetChildSubreaper is PR_SET_CHILD_SUBREAPER from <linux/prctl.h>.
const prSetChildSubreaper = 36

// Adopt makes this process the reaper of its orphaned descendants: a helper's child whose
// parent died becomes this process's child instead of init's, so EndAll can still find it.
func Adopt() error {
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); errno != 0 {
		return errno
	}
	return nil
}

// EndAll kills every live child of this process, direct or adopted, with its process group when
// it leads one of its own. Killing a child hands its children over (see Adopt), so it looks
// again until none is left, for at most half a second. Call it just before exiting.
func EndAll() {
	if !hasChildren() {
		return // the common case, and reading every process's stat costs milliseconds
	}
	self, group := os.Getpid(), syscall.Getpgrp()
	deadline := time.Now().Add(500 * time.Millisecond)
	for {
		kids := liveChildren(self)
		if len(kids) == 0 || time.Now().After(deadline) {
			return
		}
		for _, k := range kids {
			if k.pgrp == k.pid && k.pgrp != group {
				_ = syscall.Kill(-k.pgrp, syscall.SIGKILL)
			}
			_ = syscall.Kill(k.pid, syscall.SIGKILL)
		}
		time.Sleep(5 * time.Millisecond) // let the kernel finish them and hand over their children
	}
}

// hasChildren reports whether this process has a child, live or not yet reaped, without
// reaping it: waitid(P_ALL, WNOWAIT|WNOHANG) fails with ECHILD only when there is none.
func hasChildren() bool {
	const pAll, wNoWait = 0, 0x01000000 // P_ALL, WNOWAIT
	var info [128]byte                  // siginfo_t
	_, _, errno := syscall.Syscall6(syscall.SYS_WAITID, pAll, 0, uintptr(unsafe.Pointer(&info[0])),
		syscall.WEXITED|syscall.WNOHANG|wNoWait, 0, 0)
	return errno != syscall.ECHILD
}

type proc struct{ pid, pgrp int }

// liveChildren lists the processes whose parent is ppid and that are not zombies, from /proc.
func liveChildren(ppid int) []proc {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := bytes.Fields(stat[i+1:])
		if len(f) < 3 || string(f[0]) == "Z" || string(f[0]) == "X" {
			continue
		}
		parent, _ := strconv.Atoi(string(f[1]))
		pgrp, _ := strconv.Atoi(string(f[2]))
		if parent == ppid {
			out = append(out, proc{pid: pid, pgrp: pgrp})
		}
	}
	return out
}
