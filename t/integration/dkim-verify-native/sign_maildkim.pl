#!/usr/bin/perl
# Sign messages with Mail::DKIM::Signer (libmail-dkim-perl), a second
# signer beside dkimpy, with its own tag layout (one line, h= without
# spaces), for t/integration/dkim-verify-native.
# usage: sign_maildkim.pl KEYFILE.pem OUTDIR MSG...
# Each MSG (its DKIM-Signature fields dropped) is signed once per c= form
# (simple/simple ... relaxed, simple), h= lists in turn (repeated, absent
# names), every third signature with an i= subdomain;
# every other output also gets a tampered twin (NNNN-t.eml: one body byte
# changed).  Prints "OUTPUT MSG" lines.
use strict;
use warnings;
use Mail::DKIM::PrivateKey;
use Mail::DKIM::Signature;
use Mail::DKIM::Signer;

my ($key, $out, @files) = @ARGV;
my @methods = ('simple/simple', 'simple/relaxed', 'relaxed/simple', 'relaxed/relaxed',
	'relaxed', 'simple');
my @lists = ('from', 'from:to:subject:x-absent', 'from:from:subject:received:received:date',
	'subject:from:content-type:cc:reply-to:list-id:subject');
my $pk = Mail::DKIM::PrivateKey->load(File => $key);
my $n = 0;
for my $f (@files) {
	open(my $fh, '<:raw', $f) or die "$f: $!";
	my $msg = do { local $/; <$fh> };
	close($fh);
	$msg =~ s/\r?\n/\r\n/g;
	$msg =~ s/^DKIM-Signature[ \t]*:.*?\r\n(?![ \t])//gims;
	for my $m (@methods) {
		my $list = $lists[$n % @lists];
		my $policy = sub {
			$_[0]->add_signature(Mail::DKIM::Signature->new(
				Algorithm => 'rsa-sha256', Method => $m, Domain => 'm.example',
				Selector => 'mdkim', Headers => $list, Key => $pk,
				($n % 3 == 0 ? (Identity => 'list@sub.m.example') : ())));
			return;
		};
		my $s = Mail::DKIM::Signer->new(Policy => $policy);
		$s->PRINT($msg);
		$s->CLOSE();
		my $field = $s->signature->as_string;
		my $name = sprintf('%s/%04d.eml', $out, $n);
		open(my $o, '>:raw', $name) or die "$name: $!";
		print $o $field, "\r\n", $msg;
		close($o);
		print "$name $f\n";
		if ($n % 2 == 0) {
			(my $t = $msg) =~ s/(\r\n\r\n[^\r]*?)([A-Za-z])/$1 . ($2 eq 'Q' ? 'R' : 'Q')/se;
			$t .= "tampered\r\n" if $t eq $msg;
			$name = sprintf('%s/%04d-t.eml', $out, $n);
			open($o, '>:raw', $name) or die "$name: $!";
			print $o $field, "\r\n", $t;
			close($o);
			print "$name $f\n";
		}
		$n++;
	}
}
