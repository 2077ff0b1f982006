// Package config holds the config-error rules (FD4xxx): a secret, config map or service account
// the task's pod needs does not exist.
package config
