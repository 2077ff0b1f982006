// Package flyteconfig finds and reads the flytectl config.yaml so flytedoctor talks to the
// same Admin, with the same auth and storage settings, as the user's flytectl.
//
// flytectl reads the file with viper, so keys match case-insensitively and unknown sections
// are ignored; this package does the same without depending on viper.
package flyteconfig
