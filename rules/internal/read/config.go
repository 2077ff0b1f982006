package read

import (
	"regexp"
)

// kubelet event FailedToRetrieveImagePullSecret.
var missingPullSecretRe = regexp.MustCompile(`Unable to retrieve some image pull secrets \(([^)]*)\); attempting to pull the image may not succeed`)
