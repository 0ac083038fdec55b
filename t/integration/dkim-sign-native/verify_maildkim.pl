#!/usr/bin/perl
# Verify the RSA messages dkim-sign-diff wrote with Mail::DKIM
# (libmail-dkim-perl; Debian 12's has no Ed25519).
# usage: verify_maildkim.pl DIR -- keys from DIR/keys, messages from
# DIR/manifest; prints "FILE RESULT DETAIL".
use strict;
use warnings;
use Mail::DKIM::Verifier;
use Mail::DKIM::DNS;
use Net::DNS::RR;

my $dir = shift @ARGV;
my %key;
open(my $kf, '<', "$dir/keys") or die "$dir/keys: $!";
while (<$kf>) {
	chomp;
	my ($sel, $rec) = split(/ /, $_, 2);
	$key{$sel} = $rec;
}
close($kf);

{
	no warnings 'redefine';
	*Mail::DKIM::DNS::query = sub {
		my ($name, $type) = @_;
		my ($sel) = split(/\./, $name, 2);
		return () unless defined $key{$sel};
		my @chunks = unpack('(A255)*', $key{$sel});
		return (Net::DNS::RR->new(name => $name, type => 'TXT', txtdata => [@chunks]));
	};
}

open(my $mf, '<', "$dir/manifest") or die "$dir/manifest: $!";
while (<$mf>) {
	my ($file, $alg) = split;
	next unless $alg eq 'rsa';
	open(my $fh, '<:raw', "$dir/$file") or die "$file: $!";
	local $/;
	my $msg = <$fh>;
	close($fh);
	my $v = Mail::DKIM::Verifier->new();
	$v->PRINT($msg);
	$v->CLOSE();
	my $detail = $v->result_detail // '';
	print "$file ", $v->result, " $detail\n";
}
