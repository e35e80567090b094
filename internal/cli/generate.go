package cli

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

// generateOptions are the options of `flowlens generate`.
type generateOptions struct {
	streams
	scenario string
	records  int
	format   string
	seed     int64
	header   bool
	output   string
	rulesDir string
}

// newGenerateCommand writes simulated flow-log records: the input of the benchmarks in
// the README, of the demo, and of anyone who wants to try flowlens on a big file.
func newGenerateCommand(s streams) *cobra.Command {
	opts := &generateOptions{streams: s}
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Write simulated flow-log records (for benchmarks and trying flowlens)",
		Long: `Write flow-log records of a simulated VPC, whose security groups and network ACLs
really decide what is accepted: a realistic busy VPC, or the incident of the demo.
With --rules-dir, also write what aws ec2 describe-security-groups,
describe-network-acls, describe-network-interfaces and describe-subnets would print
for the simulated VPC, for flowlens pairs --rules.`,
		Example: `  flowlens generate --records 2000000 -o flows.log
  flowlens generate --scenario incident --format v5 -o incident.log.gz --rules-dir rules/`,
		GroupID: "other",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			// v5's fields are in the simulator's order, which no reader can tell from
			// the lines: without its header line the file could not be read back.
			if opts.format != "v2" && !cmd.Flags().Changed("header") {
				opts.header = true
			}
			return runGenerate(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.scenario, "scenario", "realistic", "realistic (a busy VPC, endless) or incident (the demo's 30 minutes)")
	fl.IntVarP(&opts.records, "records", "n", 1_000_000, "how many records (0: the whole scenario; the realistic one is endless)")
	fl.StringVar(&opts.format, "format", "v2", "v2 (the default format) or v5 (with tcp-flags, flow-direction and more)")
	fl.Int64Var(&opts.seed, "seed", 1, "random seed: the same seed gives the same records")
	fl.BoolVar(&opts.header, "header", false, "start with an S3-style header line (always with --format v5, whose fields are in an order only the header tells, unless --header=false)")
	fl.StringVarP(&opts.output, "output", "o", "-", "write to `FILE` (gzip when it ends in .gz)")
	fl.StringVar(&opts.rulesDir, "rules-dir", "", "also write the simulated VPC's security groups, NACLs, interfaces and subnets as AWS CLI JSON into `DIR`")
	return cmd
}

func runGenerate(opts *generateOptions) error {
	s, f, err := opts.check()
	if err != nil {
		return err
	}
	if opts.rulesDir != "" {
		if err := writeRulesDir(opts.rulesDir, s.Topology); err != nil {
			return err
		}
	}
	w, closeOutput, err := opts.openOutput()
	if err != nil {
		return err
	}
	werr := s.WriteText(w, f, opts.records, opts.header)
	if err := closeOutput(); err != nil && werr == nil {
		werr = err
	}
	if werr != nil {
		return fmt.Errorf("writing the records: %w", werr)
	}
	return nil
}

// check turns the flags into the scenario and format to write.
func (o *generateOptions) check() (*sim.Scenario, *model.Format, error) {
	var s *sim.Scenario
	switch o.scenario {
	case "realistic":
		s = sim.Realistic(o.seed)
	case "incident":
		s = sim.Incident(o.seed)
	default:
		return nil, nil, usagef("unknown --scenario %q: want realistic or incident", o.scenario)
	}
	s.KeepTruth = false
	var f *model.Format
	switch o.format {
	case "v2", "default":
		f = model.DefaultFormat
	case "v5":
		f = sim.V5Format
	default:
		return nil, nil, usagef("unknown --format %q: want v2 or v5", o.format)
	}
	if o.records < 0 || o.records == 0 && o.scenario == "realistic" {
		return nil, nil, usagef("--records must be positive (0, the whole scenario, only for the incident: the realistic VPC never ends)")
	}
	return s, f, nil
}

// writeRulesDir writes the topology's describe-* documents into dir.
func writeRulesDir(dir string, t *sim.Topology) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range t.RulesFiles() {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644); err != nil {
			return fmt.Errorf("writing the rules: %w", err)
		}
	}
	return nil
}

// openOutput is --output: stdout, a file, or a gzipped file; the function it returns
// closes what was opened, the gzip stream first.
func (o *generateOptions) openOutput() (io.Writer, func() error, error) {
	if o.output == "" || o.output == "-" {
		return o.out, func() error { return nil }, nil
	}
	file, err := os.Create(o.output)
	if err != nil {
		return nil, nil, err
	}
	if !strings.HasSuffix(o.output, ".gz") {
		return file, file.Close, nil
	}
	gz := gzip.NewWriter(file)
	return gz, func() error {
		err := gz.Close()
		if cerr := file.Close(); err == nil {
			err = cerr
		}
		return err
	}, nil
}
