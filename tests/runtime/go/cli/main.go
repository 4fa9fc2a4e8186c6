// The Dapr CLI: github.com/dapr/cli's main.go, which is a main package and so cannot be imported.
package main

import "github.com/dapr/cli/cmd"

var (
	version    = ""
	apiVersion = "1.0"
)

func main() {
	cmd.Execute(version, apiVersion)
}
