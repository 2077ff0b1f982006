// Package system holds the system and abort rules (FD8xxx) and the system-error fallback (FD8901).
package system
