#!/usr/bin/perl
# Verify every DKIM signature of a message with Mail::DKIM (libmail-dkim-perl),
# keys from the test DNS server.  Usage: maildkim.pl ADDR PORT MESSAGE
# Prints one line per signature: "<d> <s> <a> <result>".
use strict;
use warnings;
use Mail::DKIM::Verifier;
use Mail::DKIM::DNS;
use Net::DNS::Resolver;

my ($addr, $port, $path) = @ARGV;
my $res = Net::DNS::Resolver->new(nameservers => [$addr], port => $port, recurse => 1,
    usevc => 1, tcp_timeout => 5, udp_timeout => 5, retry => 1);
Mail::DKIM::DNS::resolver($res);
my $v = Mail::DKIM::Verifier->new();
open(my $fh, '<', $path) or die "$path: $!";
while (my $line = <$fh>) {
	$line =~ s/\r?\n\z/\r\n/;
	$v->PRINT($line);
}
$v->CLOSE();
my @sigs = $v->signatures;
print "no signature\n" unless @sigs;
for my $s (@sigs) {
	print join(' ', $s->domain, $s->selector, $s->algorithm, $s->result, $s->result_detail), "\n";
}
