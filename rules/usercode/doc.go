// Package usercode holds the user-code rules (FD51xx) and the user-error fallback (FD5901).
package usercode
