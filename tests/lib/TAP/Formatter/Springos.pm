# prove formatter: the console output as usual, then one closing line
# "N passed, N failed, N skipped" that CI reads.  A test file that exits
# non-zero or breaks its plan counts as one failure even when every line
# it printed was "ok".
package TAP::Formatter::Springos;
use strict;
use warnings;
use parent 'TAP::Formatter::Console';

sub summary {
    my ($self, $agg, $interrupted) = @_;
    $self->SUPER::summary($agg, $interrupted);
    my $skipped = scalar $agg->skipped;
    my $passed  = scalar($agg->passed) - $skipped;
    my $failed  = scalar $agg->failed;
    for my $desc ($agg->descriptions) {
        my ($parser) = $agg->parsers($desc);
        next if $parser->failed;
        $failed++ if $parser->exit || $parser->parse_errors || !$parser->is_good_plan;
    }
    $failed++ if $interrupted;
    printf "%d passed, %d failed, %d skipped\n", $passed, $failed, $skipped;
}

1;
