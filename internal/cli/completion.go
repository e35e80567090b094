package cli

import "github.com/spf13/cobra"

// addCompletionCommand adds cobra's `completion` command (bash, zsh, fish, powershell)
// now, rather than when the tree first runs as cobra would: so it is listed under "Other
// commands", has a man page, and its mistakes are usage errors like every other
// command's. The release build runs it to ship the scripts in every archive.
func addCompletionCommand(root *cobra.Command) {
	root.CompletionOptions.HiddenDefaultCmd = false
	root.SetCompletionCommandGroupID("other")
	root.InitDefaultCompletionCmd()
}
