#!/usr/bin/perl
# Verify every DKIM signature of some messages with Mail::DKIM
# (libmail-dkim-perl 1.20230212: RSA only, it has no Ed25519).
# usage: verify_maildkim.pl KEYFILE MSG...
# KEYFILE: "selector._domainkey.domain<TAB>record" lines (NONE: no record,
# TEMPFAIL: a lookup timeout).  Prints one line per signature:
#   MSG IDX d=D s=S pass|fail|error DETAIL
# (Mail::DKIM's "invalid", "temperror", "neutral", ... are "error";
# an Ed25519 signature is "skip").
use strict;
use warnings;
use Mail::DKIM::Verifier;
use Mail::DKIM::DNS;
use Net::DNS::RR;

my %key;
open(my $kf, '<', shift @ARGV) or die "keys: $!";
while (<$kf>) {
	chomp;
	my ($name, $rec) = split(/\t/, $_, 2);
	$key{lc $name} = $rec if defined $rec;
}
close($kf);

{
	no warnings 'redefine';
	*Mail::DKIM::DNS::query = sub {
		my ($name, $type) = @_;
		my $rec = $key{lc $name};
		die "DNS query timeout for $name\n" if defined $rec && $rec eq 'TEMPFAIL';
		return () if !defined $rec || $rec eq 'NONE';
		my @chunks = unpack('(A255)*', $rec);
		return (Net::DNS::RR->new(name => $name, type => 'TXT', txtdata => [@chunks]));
	};
}

for my $file (@ARGV) {
	open(my $fh, '<:raw', $file) or die "$file: $!";
	my $msg = do { local $/; <$fh> };
	close($fh);
	$msg =~ s/\r?\n/\r\n/g;
	my $v = Mail::DKIM::Verifier->new();
	$v->PRINT($msg);
	$v->CLOSE();
	my $i = 0;
	for my $s ($v->signatures) {
		my $r = $s->result // 'none';
		$r = 'error' unless $r eq 'pass' || $r eq 'fail';
		$r = 'skip' if ($s->algorithm // '') =~ /ed25519/i;
		my $detail = $s->result_detail // '';
		$detail =~ s/\s+/ /g;
		printf "%s %d d=%s s=%s %s %s\n", $file, $i++, $s->domain // '-',
		    $s->selector // '-', $r, $detail;
	}
}
