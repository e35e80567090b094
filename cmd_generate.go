package main

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/flowlens/flowlens/internal/sim"
	"github.com/flowlens/flowlens/model"
)

// newGenerateCommand writes simulated flow-log records: the input of the benchmarks in
// the README, of the demo, and of anyone who wants to try flowlens on a big file.
func newGenerateCommand(env *environment) *cobra.Command {
	var (
		scenario string
		records  int
		format   string
		seed     int64
		header   bool
		out      string
		rulesDir string
	)
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Write simulated flow-log records (for benchmarks and trying flowlens)",
		Long: `Write flow-log records of a simulated VPC, whose security groups and network ACLs
really decide what is accepted: a realistic busy VPC, or the incident of the demo.
With --rules-dir, also write what aws ec2 describe-security-groups,
describe-network-acls, describe-network-interfaces and describe-subnets would print
for the simulated VPC, for flowlens pairs --rules.`,
		Example: `  flowlens generate --records 2000000 -o flows.log
  flowlens generate --scenario incident --format v5 --header -o incident.log.gz --rules-dir rules/`,
		GroupID: "other",
		Args:    usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			var s *sim.Scenario
			switch scenario {
			case "realistic":
				s = sim.Realistic(seed)
			case "incident":
				s = sim.Incident(seed)
			default:
				return usagef("unknown --scenario %q: want realistic or incident", scenario)
			}
			s.KeepTruth = false
			var f *model.Format
			switch format {
			case "v2", "default":
				f = model.DefaultFormat
			case "v5":
				f = sim.V5Format
			default:
				return usagef("unknown --format %q: want v2 or v5", format)
			}
			if records < 0 || records == 0 && scenario == "realistic" {
				return usagef("--records must be positive (0, the whole scenario, only for the incident: the realistic VPC never ends)")
			}
			if rulesDir != "" {
				if err := os.MkdirAll(rulesDir, 0o755); err != nil {
					return err
				}
				for _, f := range s.Topology.RulesFiles() {
					if err := os.WriteFile(filepath.Join(rulesDir, f.Name), f.Data, 0o644); err != nil {
						return fmt.Errorf("writing the rules: %w", err)
					}
				}
			}
			w := env.stdout
			var closers []io.Closer
			if out != "" && out != "-" {
				file, err := os.Create(out)
				if err != nil {
					return err
				}
				closers = append(closers, file)
				w = file
				if strings.HasSuffix(out, ".gz") {
					gz := gzip.NewWriter(file)
					closers = append([]io.Closer{gz}, closers...)
					w = gz
				}
			}
			werr := s.WriteText(w, f, records, header)
			for _, c := range closers {
				if err := c.Close(); err != nil && werr == nil {
					werr = err
				}
			}
			if werr != nil {
				return fmt.Errorf("writing the records: %w", werr)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&scenario, "scenario", "realistic", "realistic (a busy VPC, endless) or incident (the demo's 30 minutes)")
	fl.IntVarP(&records, "records", "n", 1_000_000, "how many records (0: the whole scenario; the realistic one is endless)")
	fl.StringVar(&format, "format", "v2", "v2 (the default format) or v5 (with tcp-flags, flow-direction and more)")
	fl.Int64Var(&seed, "seed", 1, "random seed: the same seed gives the same records")
	fl.BoolVar(&header, "header", false, "start with an S3-style header line")
	fl.StringVarP(&out, "output", "o", "-", "write to `FILE` (gzip when it ends in .gz)")
	fl.StringVar(&rulesDir, "rules-dir", "", "also write the simulated VPC's security groups, NACLs, interfaces and subnets as AWS CLI JSON into `DIR`")
	return cmd
}
