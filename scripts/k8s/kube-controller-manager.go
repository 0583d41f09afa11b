// kube-controller-manager for opsctl's e2e tests (deployment, replicaset and
// serviceaccount controllers), built by scripts/k8s/build.sh.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kube-controller-manager/app"
)

func main() {
	os.Exit(cli.Run(app.NewControllerManagerCommand()))
}
