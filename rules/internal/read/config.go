package read

import (
	"github.com/flytedoctor/flytedoctor/rules/internal/pattern"
)

// kubelet event FailedToRetrieveImagePullSecret.
var missingPullSecretRe = pattern.MustCompile(`Unable to retrieve some image pull secrets \(([^)]*)\); attempting to pull the image may not succeed`)
