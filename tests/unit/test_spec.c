/* spec: the experiment language's lexer, parser and checker, one named
 * case per situation (every message asserted, with its line and column),
 * then formatting, demand and planning over the seed examples. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "erm.h"
#include "../../master/spec.h"

struct spec_case {
	const char *name;
	const char *src;   /* the spec, or NULL: read `file` */
	const char *file;  /* tests/data/spec/FILE.spec */
	const char *want;  /* every diagnostic, "LINE:COL: error: msg\n" */
};

static const struct spec_case cases[] = {
	{ "lex_unterminated_string", "nodeclass a {\n  ostype \"Linux\n}\n", NULL,
	    "2:10: error: unterminated string (a string ends on the line it starts)\n" },
	{ "lex_unknown_escape", "nodeclass a {\n  ostype \"a\\qb\"\n}\n", NULL,
	    "2:12: error: unknown escape '\\q' in string (use \\\", \\\\, \\n or \\t)\n" },
	{ "lex_stray_backslash", "nodeclass a \\ {\n}\n", NULL,
	    "1:13: error: stray '\\': a backslash only continues a line when it ends it\n" },
	{ "lex_unexpected_character", "nodeclass a {\n  @\n}\n", NULL,
	    "2:3: error: unexpected character '@'\n" },
	{ "lex_unexpected_byte", "nodeclass a {\n  \001\n}\n", NULL,
	    "2:3: error: unexpected byte 0x01\n" },
	{ "lex_malformed_number", "nodeclass a {\n}\nnodeset s class a num 4x\n", NULL,
	    "3:23: error: malformed number '4x'\n" },
	{ "lex_name_too_long", "nodeclass aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa {\n}\n", NULL,
	    "1:11: error: name too long: 64 bytes (limit 63)\n" },
	{ "lex_line_continuation_single", "nodeclass a {\n  scenario {\n    wake \"/bin/x\" \\\n      \"x\"\n  }\n}\n", NULL,
	    "" },
	{ "lex_line_continuation_double", "nodeclass a {\n  scenario {\n    wake \"/bin/x\" \\\\\n      \"x\"\n  }\n}\n", NULL,
	    "" },
	{ "lex_comments", "# hash\n// slashes\nnodeclass a { # after\n}  // after\n", NULL,
	    "" },
	{ "syn_missing_rbrace_eof", "nodeclass a {\n  ostype \"x\"\n", NULL,
	    "3:1: error: '}' expected (to close '{' at line 1), got end of file\n" },
	{ "syn_missing_rbrace_before_class", "nodeclass a {\n  ostype \"x\"\nnodeclass b {\n}\n", NULL,
	    "3:1: error: '}' expected (to close '{' at line 1), got 'nodeclass'\n" },
	{ "syn_missing_rbrace_scenario", "nodeclass a {\n  scenario {\n    wake \"/bin/x\" \"x\"\n}\n", NULL,
	    "5:1: error: '}' expected (to close '{' at line 1), got end of file\n" },
	{ "syn_extra_rbrace", "nodeclass a {\n}\n}\n", NULL,
	    "3:1: error: unexpected '}' (no '{' is open)\n" },
	{ "syn_unclosed_paren", "nodeclass a {\n  scenario {\n    x = (1 + 2\n  }\n}\n", NULL,
	    "4:3: error: ')' expected (to close '(' at line 3), got '}'\n" },
	{ "syn_unclosed_bracket", "nodeclass a {\n  netif media fe\n  scenario {\n    x = self.netif[0\n  }\n}\n", NULL,
	    "5:3: error: ']' expected (to close '[' at line 4), got '}'\n" },
	{ "syn_unclosed_call", "nodeclass a {\n  scenario {\n    x = len(\"a\"\n  }\n}\n", NULL,
	    "4:3: error: ')' expected (to close '(' at line 3), got '}'\n" },
	{ "syn_unknown_toplevel", "foo bar\nnodeclass a {\n}\n", NULL,
	    "1:1: error: 'nodeclass', 'nodeset' or 'scenario' expected, got 'foo'\n" },
	{ "syn_class_name_missing", "nodeclass {\n}\n", NULL,
	    "1:11: error: class name expected after 'nodeclass', got '{'\n" },
	{ "syn_class_brace_missing", "nodeclass a\nostype \"x\"\n", NULL,
	    "2:1: error: '{' expected after 'nodeclass a', got 'ostype'\n" },
	{ "syn_unknown_attribute", "nodeclass a {\n  color \"red\"\n}\n", NULL,
	    "2:3: error: unknown attribute 'color' in nodeclass 'a' (expected maxvnodes, vntype, ostype, method, disktype, partition, diskimage, netif or scenario)\n" },
	{ "syn_duplicate_attribute", "nodeclass a {\n  ostype \"Linux\"\n  ostype \"BSD\"\n}\n", NULL,
	    "3:3: error: duplicate 'ostype' in nodeclass 'a' (first at line 2)\n" },
	{ "syn_string_attr_wrong_type", "nodeclass a {\n  ostype Linux\n}\n", NULL,
	    "2:10: error: 'ostype' expects a string, got 'Linux'\n" },
	{ "syn_int_attr_wrong_type", "nodeclass a {\n  maxvnodes \"8\"\n}\n", NULL,
	    "2:13: error: 'maxvnodes' expects an integer, got string \"8\"\n" },
	{ "syn_vntype_wrong_type", "nodeclass a {\n  vntype \"h\"\n}\n", NULL,
	    "2:10: error: 'vntype' expects a class name, got string \"h\"\n" },
	{ "syn_negative_count", "nodeclass a {\n}\nnodeset s class a num -3\n", NULL,
	    "3:23: error: 'num' must not be negative, got -3\n" },
	{ "syn_non_integer_count", "nodeclass a {\n}\nnodeset s class a num 2.5\n", NULL,
	    "3:23: error: 'num' must be a whole number, got 2.5\n" },
	{ "syn_zero_count", "nodeclass a {\n}\nnodeset s class a num 0\n", NULL,
	    "3:23: error: 'num' must be between 1 and 1000000, got 0\n" },
	{ "syn_count_too_large", "nodeclass a {\n}\nnodeset s class a num 99999999999999999999\n", NULL,
	    "3:23: error: integer too large: 99999999999999999999\n" },
	{ "syn_partition_out_of_range", "nodeclass a {\n  partition 200\n}\n", NULL,
	    "2:13: error: 'partition' must be between 1 and 128, got 200\n" },
	{ "syn_netif_unknown_option", "nodeclass a {\n  netif media fe speed 100\n}\n", NULL,
	    "2:18: error: unknown netif option 'speed' (expected media, via or net)\n" },
	{ "syn_netif_without_media", "nodeclass a {\n  netif via 0\n}\n", NULL,
	    "2:3: error: netif needs 'media' (e.g. netif media fastethernet)\n" },
	{ "syn_netif_duplicate_option", "nodeclass a {\n  netif media fe media ge\n}\n", NULL,
	    "2:18: error: duplicate 'media' in netif\n" },
	{ "syn_netif_empty_net", "nodeclass a {\n  netif media fe net \"\"\n}\n", NULL,
	    "2:18: error: 'net' expects a network name, got an empty string\n" },
	{ "syn_netif_media_not_name", "nodeclass a {\n  netif media \"fe\"\n}\n", NULL,
	    "2:15: error: 'media' expects a media name such as fastethernet, got string \"fe\"\n" },
	{ "syn_attr_junk_after", "nodeclass a {\n  ostype \"x\" \"y\"\n}\n", NULL,
	    "2:14: error: unexpected string \"y\" after 'ostype' (one attribute per line)\n" },
	{ "syn_nodeset_class_keyword", "nodeclass a {\n}\nnodeset s klass a num 1\n", NULL,
	    "3:11: error: 'class' expected after 'nodeset s', got 'klass'\n" },
	{ "syn_nodeset_num_keyword", "nodeclass a {\n}\nnodeset s class a 1\n", NULL,
	    "3:19: error: 'num' expected after 'class a', got number 1\n" },
	{ "syn_nodeset_junk_after", "nodeclass a {\n}\nnodeset s class a num 1 x\n", NULL,
	    "3:25: error: unexpected 'x' after the nodeset (one per line)\n" },
	{ "syn_unknown_statement", "nodeclass a {\n  scenario {\n    launch \"x\"\n  }\n}\n", NULL,
	    "3:5: error: unknown statement 'launch' (expected netifit, wake, wakewait, send, recv, sleep, print, for, if or an assignment)\n" },
	{ "syn_statement_expected", "nodeclass a {\n  scenario {\n    \"x\"\n  }\n}\n", NULL,
	    "3:5: error: statement expected, got string \"x\"\n" },
	{ "syn_wake_too_few_args", "nodeclass a {\n  scenario {\n    wake \"/bin/x\"\n  }\n}\n", NULL,
	    "3:18: error: 'wake' needs a program path and its argv[0]\n" },
	{ "syn_netifit_too_many_args", "nodeclass a {\n  scenario {\n    netifit \"a\" \"b\"\n  }\n}\n", NULL,
	    "3:17: error: too many arguments to 'netifit': the path of the interface scanner, got string \"b\"\n" },
	{ "syn_operator_between_args", "nodeclass a {\n  scenario {\n    wake \"a\" \"b\" \"c\" + \"d\"\n  }\n}\n", NULL,
	    "3:22: error: operator '+' between arguments: put the expression in parentheses\n" },
	{ "syn_comma_between_args", "nodeclass a {\n  scenario {\n    wake \"a\", \"b\"\n  }\n}\n", NULL,
	    "3:13: error: arguments are separated by blanks, not ','\n" },
	{ "syn_junk_after_statement", "nodeclass a {\n  scenario {\n    recv x y\n  }\n}\n", NULL,
	    "3:10: warning: recv 'x': there is no top-level scenario to send it, nodes will wait for it\n"
	    "3:12: error: unexpected 'y' after the statement (one statement per line, or separate them with ';')\n" },
	{ "syn_else_without_if", "nodeclass a {\n  scenario {\n    else {\n    }\n  }\n}\n", NULL,
	    "3:5: error: 'else' without 'if'\n" },
	{ "syn_real_in_expression", "nodeclass a {\n  scenario {\n    x = 1.5\n  }\n}\n", NULL,
	    "3:9: error: only whole numbers are supported, got 1.5\n" },
	{ "syn_comparison_chain", "nodeclass a {\n  scenario {\n    if (1 < 2 < 3) {\n    }\n  }\n}\n", NULL,
	    "3:15: error: comparisons do not chain: use '&&'\n" },
	{ "syn_for_missing_semicolon", "nodeclass a {\n  scenario {\n    for (i = 0, i < 3; i++) {\n    }\n  }\n}\n", NULL,
	    "3:15: error: ';' after the loop's initialisation expected, got ','\n" },
	{ "syn_if_without_block", "nodeclass a {\n  scenario {\n    if (1) wake \"a\" \"b\"\n  }\n}\n", NULL,
	    "3:12: error: '{' expected, got 'wake'\n" },
	{ "syn_print_without_args", "scenario {\n  print\n}\n", NULL,
	    "2:8: error: 'print' needs something to print\n" },
	{ "syn_field_name_expected", "nodeclass a {\n  scenario {\n    x = self.1\n  }\n}\n", NULL,
	    "3:14: error: field name expected after '.', got number 1\n" },
	{ "syn_expression_expected", "nodeclass a {\n  scenario {\n    x = )\n  }\n}\n", NULL,
	    "3:9: error: expression expected, got ')'\n" },
	{ "syn_top_send_missing_name", "nodeclass a {\n}\nnodeset s class a num 1\nscenario {\n  send s \"x\"\n}\n", NULL,
	    "5:10: error: value name after the node set expected, got string \"x\"\n" },
	{ "syn_depth_limit", "scenario {\n  x = ((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((1))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))\n}\n", NULL,
	    "2:70: error: nesting too deep (limit 64)\n" },
	{ "syn_errors_on_many_lines", "nodeclass a {\n  color 1\n  ostype 2\n  size 3\n}\nnodeset s class a num -1\n", NULL,
	    "2:3: error: unknown attribute 'color' in nodeclass 'a' (expected maxvnodes, vntype, ostype, method, disktype, partition, diskimage, netif or scenario)\n"
	    "3:10: error: 'ostype' expects a string, got number 2\n"
	    "4:3: error: unknown attribute 'size' in nodeclass 'a' (expected maxvnodes, vntype, ostype, method, disktype, partition, diskimage, netif or scenario)\n"
	    "6:23: error: 'num' must not be negative, got -1\n" },
	{ "sem_seed_experiment_alone", NULL, "seed-experiment",
	    "3:10: error: unknown class 'vmwareC' (vntype of nodeclass 'clC')\n"
	    "12:10: warning: recv 'dstA': there is no top-level scenario to send it, nodes will wait for it\n"
	    "13:10: warning: recv 'dstB': there is no top-level scenario to send it, nodes will wait for it\n"
	    "20:22: error: unknown class 'svC' (class of nodeset 'server')\n" },
	{ "sem_seed_with_vmhost", NULL, "seed-both",
	    "33:10: warning: recv 'dstA': there is no top-level scenario to send it, nodes will wait for it\n"
	    "34:10: warning: recv 'dstB': there is no top-level scenario to send it, nodes will wait for it\n"
	    "41:22: error: unknown class 'svC' (class of nodeset 'server')\n" },
	{ "sem_seed_full", NULL, "seed-full",
	    "" },
	{ "sem_duplicate_class", "nodeclass a {\n}\nnodeclass a {\n}\n", NULL,
	    "3:11: error: duplicate nodeclass 'a' (first at line 1)\n" },
	{ "sem_duplicate_nodeset", "nodeclass a {\n}\nnodeset s class a num 1\nnodeset s class a num 2\n", NULL,
	    "4:9: error: duplicate nodeset 's' (first at line 3)\n" },
	{ "sem_duplicate_top_scenario", "scenario {\n}\nscenario {\n}\n", NULL,
	    "3:1: error: duplicate top-level scenario (first at line 1)\n" },
	{ "sem_unknown_class_in_nodeset", "nodeset s class nope num 1\n", NULL,
	    "1:17: error: unknown class 'nope' (class of nodeset 's')\n" },
	{ "sem_vntype_unknown", "nodeclass v {\n  maxvnodes 2\n  vntype nope\n}\n", NULL,
	    "3:10: error: unknown class 'nope' (vntype of nodeclass 'v')\n" },
	{ "sem_vntype_names_vm_class", "nodeclass h {\n}\nnodeclass v1 {\n  maxvnodes 2\n  vntype h\n}\nnodeclass v2 {\n  maxvnodes 2\n  vntype v1\n}\n", NULL,
	    "9:10: error: vntype 'v1' of nodeclass 'v2' names a VM class; it must name the physical class of the VM host\n" },
	{ "sem_vm_class_without_maxvnodes", "nodeclass h {\n}\nnodeclass v {\n  vntype h\n}\n", NULL,
	    "3:11: error: VM nodeclass 'v' needs maxvnodes (how many of its VMs one host runs)\n" },
	{ "sem_maxvnodes_without_vntype", "nodeclass a {\n  maxvnodes 4\n}\n", NULL,
	    "2:3: error: maxvnodes without vntype: nodeclass 'a' is not a VM class\n" },
	{ "sem_physical_attrs_on_vm", "nodeclass h {\n}\nnodeclass v {\n  maxvnodes 2\n  vntype h\n  method \"HDD\"\n  disktype \"IDE\"\n  partition 1\n}\n", NULL,
	    "6:3: error: 'method' is for physical classes; 'v' is a VM class (it has vntype)\n"
	    "7:3: error: 'disktype' is for physical classes; 'v' is a VM class (it has vntype)\n"
	    "8:3: error: 'partition' is for physical classes; 'v' is a VM class (it has vntype)\n" },
	{ "sem_unknown_method", "nodeclass a {\n  method \"PXE\"\n}\n", NULL,
	    "2:3: error: unknown method \"PXE\" (expected \"HDD\" or \"diskless\")\n" },
	{ "sem_via_on_physical", "nodeclass a {\n  netif media fe via 0\n}\n", NULL,
	    "2:22: error: 'via' is only for VM classes (nodeclass 'a' has no vntype)\n" },
	{ "sem_via_out_of_range", "nodeclass h {\n  netif media fe\n  netif media fe\n}\nnodeclass v {\n  maxvnodes 2\n  vntype h\n  netif media fe via 2 net \"n\"\n}\n", NULL,
	    "8:22: error: via 2 out of range: host class 'h' has 2 interfaces (0..1)\n" },
	{ "sem_via_host_without_interfaces", "nodeclass h {\n}\nnodeclass v {\n  maxvnodes 2\n  vntype h\n  netif media fe via 0\n}\n", NULL,
	    "6:22: error: via 0 out of range: host class 'h' has no interfaces\n" },
	{ "sem_via_two_nets_one_port", "nodeclass h {\n  netif media fe\n}\nnodeclass v {\n  maxvnodes 2\n  vntype h\n  netif media fe via 0 net \"a\"\n  netif media fe via 0 net \"b\"\n}\n", NULL,
	    "8:28: error: netif via 0 joins \"b\" but the netif at line 7, also via 0, joins \"a\": a host interface carries one network\n" },
	{ "sem_via_host_net_differs", "nodeclass h {\n  netif media fe net \"a\"\n}\nnodeclass v {\n  maxvnodes 2\n  vntype h\n  netif media fe via 0 net \"b\"\n}\n", NULL,
	    "7:28: error: netif via 0 joins \"b\" but interface 0 of host class 'h' joins \"a\"\n" },
	{ "sem_recv_not_sent", "nodeclass a {\n  scenario {\n    recv x\n  }\n}\nnodeset s class a num 1\nscenario {\n  send s y 1\n}\n", NULL,
	    "3:10: error: recv 'x': no top-level scenario sends 'x'\n"
	    "8:10: warning: class 'a' of node set 's' never receives 'y'\n" },
	{ "sem_recv_sent_to_other_class", "nodeclass a {\n  scenario {\n    recv x\n  }\n}\nnodeclass b {\n  scenario {\n    recv x\n  }\n}\nnodeset s class b num 1\nscenario {\n  send s x 1\n}\n", NULL,
	    "3:10: error: recv 'x': the top-level scenario sends 'x' only to node sets of other classes than 'a'\n" },
	{ "sem_recv_without_top_scenario", "nodeclass a {\n  scenario {\n    recv x\n  }\n}\n", NULL,
	    "3:10: warning: recv 'x': there is no top-level scenario to send it, nodes will wait for it\n" },
	{ "sem_send_unknown_set", "scenario {\n  send nope x 1\n}\n", NULL,
	    "2:8: error: unknown node set 'nope' in send\n" },
	{ "sem_recv_unknown_set", "scenario {\n  recv nope \"done\"\n}\n", NULL,
	    "2:8: error: unknown node set 'nope' in recv\n" },
	{ "sem_top_recv_class_never_sends", "nodeclass a {\n}\nnodeset s class a num 1\nscenario {\n  recv s \"done\"\n}\n", NULL,
	    "5:3: error: recv s: class 'a' never sends anything, this would wait forever\n" },
	{ "sem_top_recv_other_message", "nodeclass a {\n  scenario {\n    send \"ready\"\n  }\n}\nnodeset s class a num 1\nscenario {\n  recv s \"done\"\n}\n", NULL,
	    "8:3: error: recv s \"done\": class 'a' never sends \"done\", this would wait forever\n" },
	{ "sem_send_never_received", "nodeclass a {\n}\nnodeset s class a num 1\nscenario {\n  send s x 1\n}\n", NULL,
	    "5:10: warning: class 'a' of node set 's' never receives 'x'\n" },
	{ "sem_unknown_function", "nodeclass a {\n  scenario {\n    x = frob(1)\n  }\n}\n", NULL,
	    "3:9: error: unknown function 'frob' (built-ins: toString, haddr, netaddr, mask, len)\n" },
	{ "sem_builtin_arity", "nodeclass a {\n  scenario {\n    x = haddr(1, 2)\n    y = len()\n  }\n}\n", NULL,
	    "3:9: error: haddr() takes 1 argument, got 2\n"
	    "4:9: error: len() takes 1 argument, got 0\n" },
	{ "sem_undefined_variable", "nodeclass a {\n  scenario {\n    wake \"a\" \"b\" x\n    x = 1\n  }\n}\n", NULL,
	    "3:18: error: undefined variable 'x' (not assigned or received before this point)\n" },
	{ "sem_unknown_master_variable", "nodeclass a {\n  scenario {\n    x = _frob\n  }\n}\n", NULL,
	    "3:9: error: unknown master-bound variable '_frob' (known: _launchvnodes, _nvnodes, _experiment)\n" },
	{ "sem_master_variable_in_top", "scenario {\n  print _launchvnodes _experiment\n}\n", NULL,
	    "2:9: error: '_launchvnodes' is bound per node; it is not defined in the top-level scenario\n" },
	{ "sem_self_in_top", "scenario {\n  print self.name\n}\n", NULL,
	    "2:9: error: 'self' is only defined in a node's scenario\n" },
	{ "sem_self_as_value", "nodeclass a {\n  scenario {\n    x = self\n  }\n}\n", NULL,
	    "3:9: error: 'self' is not a value: use self.name, self.index or self.netif[i].ipaddr\n" },
	{ "sem_nodeset_as_value", "nodeclass a {\n}\nnodeset s class a num 1\nscenario {\n  print s\n}\n", NULL,
	    "5:9: error: node set 's' is not a value: use s[i].name or s[i].netif[j].ipaddr\n" },
	{ "sem_class_as_value", "nodeclass a {\n}\nscenario {\n  print a\n}\n", NULL,
	    "4:9: error: 'a' is a class, not a value\n" },
	{ "sem_node_as_value", "nodeclass a {\n}\nnodeset s class a num 1\nscenario {\n  print s[0]\n}\n", NULL,
	    "5:10: error: a node is not a value: use a field such as s[...].name or .netif[i].ipaddr\n" },
	{ "sem_set_index_out_of_range", "nodeclass a {\n}\nnodeset s class a num 2\nscenario {\n  print s[2].name s[-1].name\n}\n", NULL,
	    "5:11: error: index 2 out of range: node set 's' has 2 nodes\n"
	    "5:21: error: index -1 out of range: node set 's' has 2 nodes\n" },
	{ "sem_netif_index_out_of_range", "nodeclass a {\n  netif media fe net \"n\"\n  scenario {\n    x = self.netif[1].ipaddr\n  }\n}\n", NULL,
	    "4:20: error: netif index 1 out of range: class 'a' has 1 interface\n" },
	{ "sem_unknown_node_field", "nodeclass a {\n  scenario {\n    x = self.colour\n  }\n}\n", NULL,
	    "3:14: error: unknown field 'colour' of a node (expected name, index or netif[i])\n" },
	{ "sem_unknown_netif_field", "nodeclass a {\n  netif media fe\n  scenario {\n    x = self.netif[0].speed\n  }\n}\n", NULL,
	    "4:23: error: unknown field 'speed' of netif (expected rname, ipaddr, mac or net)\n" },
	{ "sem_netif_without_index", "nodeclass a {\n  scenario {\n    x = self.netif.ipaddr\n  }\n}\n", NULL,
	    "3:14: error: netif needs an index: netif[i].ipaddr\n" },
	{ "sem_netif_without_field", "nodeclass a {\n  netif media fe\n  scenario {\n    x = self.netif[0]\n  }\n}\n", NULL,
	    "4:19: error: netif[i] needs a field: .rname, .ipaddr, .mac or .net\n" },
	{ "sem_index_of_non_node", "nodeclass a {\n  scenario {\n    x = 1\n    y = x[0]\n  }\n}\n", NULL,
	    "4:9: error: 'x' is a variable: only node sets and netif can be indexed\n" },
	{ "sem_field_of_non_node", "nodeclass a {\n  scenario {\n    x = \"a\".b\n  }\n}\n", NULL,
	    "3:13: error: field '.b' of something that is not a node\n" },
	{ "sem_set_field_without_index", "nodeclass a {\n}\nnodeset s class a num 1\nscenario {\n  print s.name\n}\n", NULL,
	    "5:9: error: node set 's' needs an index: s[i].name\n" },
	{ "sem_class_indexed", "nodeclass a {\n}\nscenario {\n  print a[0].name\n}\n", NULL,
	    "4:9: error: 'a' is a class; index a node set (nodeset NAME class a ...)\n" },
	{ "sem_assign_master_variable", "nodeclass a {\n  scenario {\n    _launchvnodes = 1\n  }\n}\n", NULL,
	    "3:5: error: cannot assign '_launchvnodes': names starting with '_' are bound by the master\n" },
	{ "sem_assign_nodeset", "nodeclass a {\n}\nnodeset s class a num 1\nscenario {\n  s = 1\n}\n", NULL,
	    "5:3: error: cannot assign 's': it is a node set\n" },
	{ "sem_increment_undefined", "nodeclass a {\n  scenario {\n    i++\n    j += 2\n  }\n}\n", NULL,
	    "3:5: error: undefined variable 'i'\n"
	    "4:5: error: undefined variable 'j'\n" },
	{ "sem_sleep_negative", "scenario {\n  sleep -1\n}\n", NULL,
	    "2:9: error: sleep needs a non-negative number of seconds, got -1\n" },
	{ "sem_wake_in_top", "scenario {\n  wake \"/bin/x\" \"x\"\n  netifit \"/bin/y\"\n}\n", NULL,
	    "2:3: error: 'wake' runs on nodes: it is not allowed in the top-level scenario\n"
	    "3:3: error: 'netifit' runs on nodes: it is not allowed in the top-level scenario\n" },
	{ "sem_loop_and_branches_ok", "nodeclass a {\n  netif media fe net \"n\"\n  scenario {\n    for (i = 0; i < 3; i++) {\n      if (i == 1) {\n        wake \"a\" \"b\" toString(i)\n      } else if (i == 2) {\n        sleep 1\n      } else {\n        print len(self.name) netaddr(self.netif[0].ipaddr) mask(self.netif[0].ipaddr)\n      }\n    }\n  }\n}\n", NULL,
	    "" },
	{ "syn_too_many_interfaces", "nodeclass a {\n  netif media e\n  netif media e\n  netif media e\n  netif media e\n  netif media e\n  netif media e\n  netif media e\n  netif media e\n  netif media e\n  netif media e\n  netif media e\n  netif media e\n  netif media e\n  netif media e\n  netif media e\n  netif media e\n  netif media e\n}\n", NULL,
	    "18:3: error: too many interfaces in nodeclass 'a' (limit 16)\n" },
	{ "syn_attribute_expected", "nodeclass a {\n  \"ostype\"\n}\n", NULL,
	    "2:3: error: attribute expected in nodeclass 'a' (maxvnodes, vntype, ostype, method, disktype, partition, diskimage, netif or scenario), got string \"ostype\"\n" },
	{ "syn_integer_too_long", "nodeclass a {\n  scenario {\n    x = 123456789012345678901234567890123456789\n  }\n}\n", NULL,
	    "3:9: error: integer too large: 12345678901234567890...\n" },
	{ "syn_junk_after_block", "scenario {\n} x\n", NULL,
	    "2:3: error: unexpected 'x' after the block (one per line)\n" },
	{ "syn_recv_name_expected", "nodeclass a {\n  scenario {\n    recv \"x\"\n  }\n}\n", NULL,
	    "3:10: error: value name after 'recv' expected, got string \"x\"\n" },
	{ "syn_send_set_expected", "scenario {\n  send \"x\" y 1\n}\n", NULL,
	    "2:8: error: node set name after 'send' expected, got string \"x\"\n" },
	{ "syn_via_negative", "nodeclass h {\n  netif media e\n}\nnodeclass v {\n  maxvnodes 1\n  vntype h\n  netif media e via -1\n}\n", NULL,
	    "7:21: error: 'via' must not be negative, got -1\n" },
	{ "sem_assign_self", "nodeclass a {\n  scenario {\n    self = 1\n  }\n}\n", NULL,
	    "3:5: error: cannot assign 'self'\n" },
	{ "sem_netif_of_non_node", "nodeclass a {\n  scenario {\n    x = 1\n    y = x.netif[0].ipaddr\n  }\n}\n", NULL,
	    "4:9: error: netif belongs to a node: self.netif[i] or SET[i].netif[j]\n" },
	{ "sem_vm_netif_default_via_out_of_range", "nodeclass h {\n  netif media e\n}\nnodeclass v {\n  maxvnodes 2\n  vntype h\n  netif media e net \"a\"\n  netif media e net \"b\"\n}\n", NULL,
	    "8:3: error: netif 1 of VM class 'v' has no via, so it is bridged to host interface 1, but host class 'h' has 1 interface\n" },
	{ "sem_recv_defines_variable", "nodeclass a {\n  scenario {\n    recv x\n    print x\n  }\n}\nnodeset s class a num 1\nscenario {\n  send s x \"v\"\n}\n", NULL,
	    "" },
};

static char *
load(const char *file, size_t *len)
{
	const char *top = getenv("SPRINGOS_TOP");
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/tests/data/spec/%s.spec", top ? top : ".", file);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static char *
diag_text(const struct spec_diags *d)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	assert_non_null(f);
	for (size_t i = 0; i < d->n; i++)
		fprintf(f, "%d:%d: %s: %s\n", d->v[i].line, d->v[i].col,
		    d->v[i].severity == SPEC_ERROR ? "error" : "warning", d->v[i].msg);
	fclose(f);
	return s;
}

/* Parse and check src; the diagnostics as text. */
static char *
diagnose(const char *src, size_t len)
{
	struct spec_diags d;
	struct spec *spec;
	char *text;

	spec_diags_init(&d);
	assert_true(spec_parse(src, len, &spec, &d) >= 0);
	spec_check(spec, &d);
	spec_diags_sort(&d);
	text = diag_text(&d);
	spec_diags_free(&d);
	spec_free(spec);
	return text;
}

static void
run_case(void **state)
{
	const struct spec_case *c = *state;
	char *buf = NULL, *got;
	size_t len;

	if (c->src != NULL)
		len = strlen(c->src);
	else
		buf = load(c->file, &len);
	got = diagnose(c->src ? c->src : buf, len);
	if (getenv("SPEC_TEST_DUMP") != NULL) {
		fprintf(stderr, "DUMP %s ", c->name);
		for (const char *p = got; *p; p++) {
			if (*p == '\n')
				fputs("\\n", stderr);
			else if (*p == '\\')
				fputs("\\\\", stderr);
			else
				fputc(*p, stderr);
		}
		fputc('\n', stderr);
	}
	assert_non_null(c->want);
	assert_string_equal(got, c->want);
	free(got);
	free(buf);
}

static void
test_diag_render(void **state)
{
	const char *src = "nodeclass a {\n\tcolor \"red\"\n}\n";
	struct spec_diags d;
	struct spec *spec;
	char *out = NULL;
	size_t n = 0;
	FILE *f;

	(void)state;
	spec_diags_init(&d);
	assert_int_equal(spec_parse(src, strlen(src), &spec, &d), 1);
	f = open_memstream(&out, &n);
	assert_non_null(f);
	spec_diags_print(f, "x.spec", src, strlen(src), &d);
	fclose(f);
	/* The caret keeps the tab so it lines up under the column. */
	assert_string_equal(out, "x.spec:2:2: error: unknown attribute 'color' in nodeclass 'a' "
	    "(expected maxvnodes, vntype, ostype, method, disktype, partition, diskimage, netif "
	    "or scenario)\n  \tcolor \"red\"\n  \t^\n");
	free(out);
	spec_diags_free(&d);
	spec_free(spec);
}

/* Bytes a C string cannot hold: a NUL inside a string literal, and a
 * length beyond the limit (never read: the size is refused first). */
static void
test_nul_and_size(void **state)
{
	static const char src[] = "nodeclass a {\n  ostype \"a\0b\"\n}\n";
	char *got;

	(void)state;
	got = diagnose(src, sizeof(src) - 1);
	assert_string_equal(got, "2:12: error: NUL byte in string\n");
	free(got);
	got = diagnose(src, (size_t)SPEC_MAX_SIZE + 1);
	assert_string_equal(got, "0:0: error: file too large: 67108865 bytes (limit 64 MiB)\n");
	free(got);
}

static void
test_too_many_errors(void **state)
{
	char src[4096];
	size_t len = 0;
	struct spec_diags d;
	struct spec *spec;
	char *out = NULL;
	size_t n = 0;
	FILE *f;

	(void)state;
	for (int i = 0; i < 150; i++)
		len += (size_t)snprintf(src + len, sizeof(src) - len, "x%d\n", i);
	spec_diags_init(&d);
	assert_int_equal(spec_parse(src, len, &spec, &d), 1);
	assert_int_equal(d.nerrors, 150);
	assert_int_equal(d.n, SPEC_MAX_DIAGS);
	assert_true(d.truncated);
	f = open_memstream(&out, &n);
	spec_diags_print(f, "x.spec", NULL, 0, &d);
	fclose(f);
	assert_non_null(strstr(out, "x.spec: too many errors (150 errors, 0 warnings; first 100 "
	    "shown)\n"));
	free(out);
	spec_diags_free(&d);
	spec_free(spec);
}

static void
test_empty_spec(void **state)
{
	struct spec_diags d;
	struct spec *spec;
	char *text;

	(void)state;
	spec_diags_init(&d);
	assert_int_equal(spec_parse("", 0, &spec, &d), 0);
	assert_null(spec->items);
	assert_int_equal(spec_check(spec, &d), 0);
	text = spec_fmt(spec);
	assert_string_equal(text, "");
	free(text);
	spec_free(spec);
	spec_free(NULL);
	spec_diags_free(&d);
}

static struct spec *
parse_ok(const char *src, size_t len)
{
	struct spec_diags d;
	struct spec *spec;

	spec_diags_init(&d);
	assert_int_equal(spec_parse(src, len, &spec, &d), 0);
	assert_int_equal(spec_check(spec, &d), 0);
	spec_diags_free(&d);
	return spec;
}

/* fmt: idempotent, and the tree of its output equals the input's. */
static void
test_fmt_roundtrip_seed(void **state)
{
	size_t len;
	char *src = load("seed-full", &len);
	struct spec *a = parse_ok(src, len), *b;
	char *t1 = spec_fmt(a), *t2;

	(void)state;
	b = parse_ok(t1, strlen(t1));
	assert_true(spec_equal(a, b));
	t2 = spec_fmt(b);
	assert_string_equal(t1, t2);
	/* The continuation lines of the slides are joined. */
	assert_non_null(strstr(t1, "    wakewait \"/sbin/ifconfig\" \"/sbin/ifconfig\" "
	    "self.netif[0].rname (haddr(self.netif[0].ipaddr))\n"));
	assert_non_null(strstr(t1, "    for (i = 0; i < _launchvnodes; i++) {\n      wake "
	    "\"/usr/bin/vmware\" \"/usr/bin/vmware\" \"-q\" \"-x\" (\"/root/vmware/linux0\" + "
	    "toString(i) + \"/linux.cfg\")\n    }\n"));
	free(t1);
	free(t2);
	free(src);
	spec_free(a);
	spec_free(b);
}

static void
test_fmt_keeps_comments(void **state)
{
	const char *src =
	    "# head\nnodeclass a { # on the class\n  # before ostype\n  ostype \"x\"   // trail\n"
	    "  scenario {\n    # first\n    x = 1 # one\n    # last\n  }\n  # end of class\n}\n"
	    "nodeset s class a num 1 # n\n# tail\n";
	const char *want =
	    "# head\nnodeclass a {  # on the class\n  # before ostype\n  ostype \"x\"  // trail\n"
	    "  scenario {\n    # first\n    x = 1  # one\n    # last\n  }\n  # end of class\n}\n"
	    "\nnodeset s class a num 1  # n\n\n# tail\n";
	struct spec *a, *b;
	char *t1, *t2;

	(void)state;
	a = parse_ok(src, strlen(src));
	t1 = spec_fmt(a);
	assert_string_equal(t1, want);
	b = parse_ok(t1, strlen(t1));
	t2 = spec_fmt(b);
	assert_string_equal(t1, t2);
	assert_true(spec_equal(a, b));
	free(t1);
	free(t2);
	spec_free(a);
	spec_free(b);
}

/* "- -x" must not print as "--x" (a decrement), and parentheses the
 * experimenter wrote stay. */
static void
test_fmt_operators(void **state)
{
	const char *src = "scenario {\n  x = - -1\n  y = (1 + 2) * 3 - -x\n"
	    "  if (!(x == 1) && y >= 2 || 0) {\n  } else if (1) {\n  }\n}\n";
	struct spec *a, *b;
	char *t1;

	(void)state;
	a = parse_ok(src, strlen(src));
	t1 = spec_fmt(a);
	assert_string_equal(t1, "scenario {\n  x = - -1\n  y = (1 + 2) * 3 - -x\n"
	    "  if (!(x == 1) && y >= 2 || 0) {\n  } else if (1) {\n  }\n}\n");
	b = parse_ok(t1, strlen(t1));
	assert_true(spec_equal(a, b));
	free(t1);
	spec_free(a);
	spec_free(b);
}

static void
test_demand_seed(void **state)
{
	size_t len;
	char *src = load("seed-full", &len);
	struct spec *spec = parse_ok(src, len);
	struct spec_demand d;

	(void)state;
	assert_int_equal(spec_demand(spec, &d), 0);
	assert_int_equal(d.nclasses, 3);
	assert_string_equal(d.classes[0].cls->name, "clC");
	assert_int_equal(d.classes[0].nodes, 40);
	assert_int_equal(d.classes[0].hosts, 5);  /* 40 VMs at 8 per host */
	assert_string_equal(d.classes[2].cls->name, "vmwareC");
	assert_int_equal(d.classes[2].hosts, 5);
	assert_int_equal(d.physical, 6);
	assert_int_equal(d.vms, 40);
	assert_int_equal(d.nnets, 2);
	assert_string_equal(d.nets[0], "ethnet-0");
	assert_string_equal(d.nets[1], "ethnet-1");
	spec_demand_free(&d);
	spec_free(spec);
	free(src);
}

/* An inventory: hosts h01.. (maxvnodes, VMs hNN-vK registered), then
 * plain nodes p01..; everything cabled to switch sw unless uncabled. */
struct invspec {
	int hosts, maxvnodes, vms, plain, uncabled;
	const char *plain_class;
	const char *allocated;  /* this node belongs to experiment "other" */
};

static void
mac_of(char *out, int a, int b, int c, int d)
{
	uint8_t m[6] = { 2, (uint8_t)a, 0, (uint8_t)b, (uint8_t)c, (uint8_t)d };

	mac_format(m, out);
}

static size_t
make_inventory(struct erm_node *inv, const struct invspec *s)
{
	size_t n = 0;
	int port = 1;

	for (int h = 1; h <= s->hosts; h++) {
		struct erm_node *x = &inv[n++];

		memset(x, 0, sizeof(*x));
		snprintf(x->name, sizeof(x->name), "h%02d", h);
		snprintf(x->node_class, sizeof(x->node_class), "pc");
		x->kind = ERM_PHYSICAL;
		x->maxvnodes = s->maxvnodes;
		x->n_ifaces = 2;
		for (int i = 0; i < 2; i++) {
			x->ifaces[i].index = i;
			mac_of(x->ifaces[i].mac, 0, 0, h, i + 1);
			snprintf(x->ifaces[i].sw, sizeof(x->ifaces[i].sw), "sw");
			x->ifaces[i].port = port++;
		}
		for (int v = 0; v < s->vms; v++) {
			struct erm_node *m = &inv[n++];

			memset(m, 0, sizeof(*m));
			snprintf(m->name, sizeof(m->name), "h%02d-v%d", h, v);
			m->kind = ERM_VM;
			snprintf(m->host, sizeof(m->host), "h%02d", h);
			m->n_ifaces = 2;
			for (int i = 0; i < 2; i++) {
				m->ifaces[i].index = i;
				mac_of(m->ifaces[i].mac, 1, h, v, i + 1);
			}
		}
	}
	for (int p = 1; p <= s->plain; p++) {
		struct erm_node *x = &inv[n++];

		memset(x, 0, sizeof(*x));
		snprintf(x->name, sizeof(x->name), "p%02d", p);
		snprintf(x->node_class, sizeof(x->node_class), "%s",
		    p == s->plain && s->plain_class ? s->plain_class : "pc");
		x->kind = ERM_PHYSICAL;
		x->n_ifaces = 2;
		for (int i = 0; i < 2; i++) {
			x->ifaces[i].index = i;
			mac_of(x->ifaces[i].mac, 0, 1, p, i + 1);
			if (!s->uncabled) {
				snprintf(x->ifaces[i].sw, sizeof(x->ifaces[i].sw), "sw");
				x->ifaces[i].port = port++;
			}
		}
	}
	for (size_t i = 0; s->allocated != NULL && i < n; i++)
		if (strcmp(inv[i].name, s->allocated) == 0)
			snprintf(inv[i].experiment, sizeof(inv[i].experiment), "other");
	return n;
}

static struct erm_node inv[256];

/* Plan the seed against an inventory; returns the plan's text, or the
 * reason it failed prefixed with "FAIL: ". */
static char *
plan_seed(const struct invspec *is, const char *only)
{
	size_t len, ninv = make_inventory(inv, is);
	char *src = load("seed-full", &len), *out = NULL, why[512];
	struct spec *spec = parse_ok(src, len);
	struct spec_plan plan;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);

	if (spec_plan(spec, inv, ninv, "seed", &plan, why, sizeof(why)) != 0) {
		fprintf(f, "FAIL: %s", why);
	} else {
		if (only == NULL)
			spec_plan_print_summary(f, &plan, 1);
		if (spec_plan_print_scenarios(f, spec, &plan, only) != 0)
			fprintf(f, "FAIL: no node %s", only);
		spec_plan_free(&plan);
	}
	fclose(f);
	spec_free(spec);
	free(src);
	return out;
}

static void
test_plan_seed(void **state)
{
	struct invspec is = { 6, 8, 8, 2, 0, NULL, NULL };
	char *out = plan_seed(&is, NULL);

	(void)state;
	assert_null(strstr(out, "FAIL"));
	assert_non_null(strstr(out, "plan for experiment seed: 6 physical nodes (5 VM hosts), 40 VMs, "
	    "2 networks (2 VLANs)\n"));
	for (int h = 1; h <= 5; h++) {
		char line[256];

		snprintf(line, sizeof(line), "  host h%02d (class vmwareC): 8 VMs of class clC: h%02d-v0 "
		    "h%02d-v1 h%02d-v2 h%02d-v3 h%02d-v4 h%02d-v5 h%02d-v6 h%02d-v7\n", h, h, h, h, h, h,
		    h, h, h);
		assert_non_null(strstr(out, line));
	}
	assert_null(strstr(out, "host h06"));
	/* The server is the first plain node; every client gets its address. */
	assert_non_null(strstr(out, "  p01: server[0], class svC\n"));
	assert_non_null(strstr(out, "send client dstA \"10.1.0.46\"\n"));
	assert_non_null(strstr(out, "\nnode h05-v7 (client[39], class clC, VM on h05):\n"
	    "  netifit \"/usr/local/bin/ifsetup/src/ifscan\"\n"
	    "  wakewait \"/sbin/ifconfig\" \"/sbin/ifconfig\" <rname of 02:01:00:05:07:01> "
	    "\"10.1.0.45\"\n"
	    "  recv dstA  # = \"10.1.0.46\"\n"
	    "  recv dstB  # = \"10.2.0.46\"\n"
	    "  wake \"/usr/local/bin/netperf\" \"/usr/local/bin/netperf\" \"-H\" \"10.1.0.46\"\n"
	    "  wakewait \"/usr/local/bin/netperf\" \"/usr/local/bin/netperf\" \"-H\" \"10.2.0.46\"\n"
	    "  send \"cdone\"\n"));
	/* _launchvnodes is 8 on each host: linux00 .. linux07. */
	assert_non_null(strstr(out, "\"-x\" \"/root/vmware/linux07/linux.cfg\"\n"));
	assert_null(strstr(out, "linux08"));
	assert_non_null(strstr(out, "  \"ethnet-0\": 10.1.0.0/16, one VLAN over switch ports sw:1 sw:3 "
	    "sw:5 sw:7 sw:9 sw:13\n"));
	free(out);
}

static void
test_plan_one_node(void **state)
{
	struct invspec is = { 6, 8, 8, 2, 0, NULL, NULL };
	char *out = plan_seed(&is, "p01");

	(void)state;
	assert_string_equal(out, "\nnode p01 (server[0], class svC):\n"
	    "  netifit \"/usr/local/bin/ifscan\"\n"
	    "  wakewait \"/sbin/ifconfig\" \"/sbin/ifconfig\" <rname of 02:00:00:01:01:01> "
	    "\"10.1.0.46\"\n"
	    "  wakewait \"/sbin/ifconfig\" \"/sbin/ifconfig\" <rname of 02:00:00:01:01:02> "
	    "\"10.2.0.46\"\n"
	    "  wake \"/usr/local/bin/netserver\" \"/usr/local/bin/netserver\"\n"
	    "  send \"sready\"\n");
	free(out);
	out = plan_seed(&is, "nope");
	assert_string_equal(out, "FAIL: no node nope");
	free(out);
}

static void
test_plan_too_few_hosts(void **state)
{
	struct invspec is = { 4, 8, 8, 2, 0, NULL, NULL };
	char *out = plan_seed(&is, NULL);

	(void)state;
	assert_string_equal(out, "FAIL: class clC needs 40 VMs on hosts of class vmwareC, but the "
	    "free VM hosts hold only 32 (4 usable hosts)");
	free(out);
}

/* Hosts that take 4 VMs each: 10 hosts would be needed. */
static void
test_plan_host_capacity(void **state)
{
	struct invspec is = { 9, 4, 8, 1, 0, NULL, NULL };
	char *out = plan_seed(&is, NULL);

	(void)state;
	assert_string_equal(out, "FAIL: class clC needs 40 VMs on hosts of class vmwareC, but the "
	    "free VM hosts hold only 36 (9 usable hosts)");
	free(out);
}

static void
test_plan_no_vm_entries(void **state)
{
	struct invspec is = { 5, 8, 0, 1, 0, NULL, NULL };
	char *out = plan_seed(&is, NULL);

	(void)state;
	assert_string_equal(out, "FAIL: class clC needs 40 VMs on hosts of class vmwareC, but the "
	    "free VM hosts hold only 0 (0 usable hosts); host h01 has maxvnodes 8 but no free VM "
	    "entries (kind = vm, host = h01)");
	free(out);
}

static void
test_plan_uncabled(void **state)
{
	struct invspec is = { 5, 8, 8, 1, 1, NULL, NULL };
	char *out = plan_seed(&is, NULL);

	(void)state;
	assert_string_equal(out, "FAIL: node set server needs 1 physical node of class svC, but "
	    "only 0 free nodes fit; p01 netif0 is not cabled to a switch");
	free(out);
}

/* Nodes of another experiment are not free. */
static void
test_plan_allocated(void **state)
{
	struct invspec two = { 5, 8, 8, 2, 0, NULL, "p01" };
	struct invspec one = { 5, 8, 8, 1, 0, NULL, "p01" };
	char *out = plan_seed(&two, NULL);

	(void)state;
	assert_non_null(strstr(out, "  p02: server[0], class svC\n"));
	free(out);
	out = plan_seed(&one, NULL);
	assert_string_equal(out, "FAIL: node set server needs 1 physical node of class svC, but "
	    "only 0 free nodes fit; p01 is allocated to experiment other");
	free(out);
}

/* A node whose inventory class is the spec's class is preferred: with a
 * node of class svC in the inventory, only such nodes serve svC. */
static void
test_plan_class_match(void **state)
{
	struct invspec is = { 5, 8, 8, 3, 0, "svC", NULL };
	char *out = plan_seed(&is, NULL);

	(void)state;
	assert_non_null(strstr(out, "  p03: server[0], class svC\n"));
	assert_null(strstr(out, "  p01: server"));
	free(out);
}

int
main(void)
{
	static struct CMUnitTest tests[ARRAY_LEN(cases) + 16];
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		tests[n].name = cases[i].name;
		tests[n].test_func = run_case;
		tests[n].initial_state = (void *)&cases[i];
		n++;
	}
#define ADD(f) do { tests[n].name = #f; tests[n].test_func = f; n++; } while (0)
	ADD(test_diag_render);
	ADD(test_nul_and_size);
	ADD(test_too_many_errors);
	ADD(test_empty_spec);
	ADD(test_fmt_roundtrip_seed);
	ADD(test_fmt_keeps_comments);
	ADD(test_fmt_operators);
	ADD(test_demand_seed);
	ADD(test_plan_seed);
	ADD(test_plan_one_node);
	ADD(test_plan_too_few_hosts);
	ADD(test_plan_host_capacity);
	ADD(test_plan_no_vm_entries);
	ADD(test_plan_uncabled);
	ADD(test_plan_class_match);
	ADD(test_plan_allocated);
#undef ADD
	if (n != ARRAY_LEN(tests))
		return 1;
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("spec", tests, NULL, NULL);
}
