// kube-apiserver for opsctl's e2e tests, built by scripts/k8s/build.sh from the
// published k8s.io/kubernetes module (its own cmd/ cannot be `go install`ed).
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	os.Exit(cli.Run(app.NewAPIServerCommand()))
}
