package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// addExplorer makes the root command open the explorer.
func addExplorer(root *cobra.Command, env *environment) {
	root.RunE = func(cmd *cobra.Command, args []string) error {
		return errors.New("the explorer is not built yet: use flowlens print")
	}
}
