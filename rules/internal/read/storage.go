package read

import (
	"strings"

	"github.com/flytedoctor/flytedoctor/rules/internal/pattern"
)

var storageAssumedRole = pattern.MustCompile(`^arn:(aws[\w-]*):sts::(\d+):assumed-role/([^/]+)/`)

// storageRoleFromPrincipal turns an assumed-role session ARN into its role ARN.
func RoleFromPrincipal(p string) string {
	if m := storageAssumedRole.FindStringSubmatch(p); m != nil {
		return "arn:" + m[1] + ":iam::" + m[2] + ":role/" + m[3]
	}
	if strings.Contains(p, ":role/") || strings.Contains(p, ":user/") {
		return p
	}
	return ""
}

func RoleName(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 && strings.Contains(arn, ":role/") {
		return arn[i+1:]
	}
	return ""
}
