#!/usr/bin/env python3
"""Crafts test/fixtures/tcpdump-edges.pcap, tcpdump-snaplen-cuts.pcap and tcpdump-sll2-kinds.pcap:
frames that exercise tcpdump 4.99.3 printing paths (flags, every option kind, bad/truncated options,
IPv6 extension headers, MPLS/PPPoE/VLAN, GRE/IP-in-IP/VXLAN/Geneve, fragments, snaplen cuts, SLL2).
Needs python3-scapy (/usr/bin/python3). Run from test/fixtures: python3 ../../scripts/craft-tcpdump-edges.py"""
from scapy.all import *
from scapy.layers.l2 import Dot1Q, Ether
from scapy.contrib.mpls import MPLS
from scapy.layers.ppp import PPPoE, PPP
from scapy.layers.vxlan import VXLAN
from scapy.contrib.geneve import GENEVE
from scapy.layers.inet6 import IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt, IPv6ExtHdrRouting, IPv6ExtHdrFragment
pk=[]
E=lambda: Ether(src='00:00:00:00:00:01',dst='00:00:00:00:00:02')
def ip4(**kw): return IP(src='10.0.0.1',dst='10.0.0.2',**kw)
def T(**kw): return TCP(sport=1234,dport=80,**kw)
t=1700000000.0
def add(p):
    global t
    p.time=t; t+=0.001; pk.append(p)
# basic flags
for fl in ['','S','SA','A','PA','FA','R','RA','U','UA','E','C','SEC','FSRPAUEC']:
    add(E()/ip4()/T(flags=fl,seq=1000,ack=2000,urgptr=7)/(b'x'*5 if 'P' in fl else b''))
# NS bit
add(E()/ip4()/TCP(sport=1234,dport=80,flags=0x110,seq=5,ack=6))
# options
opts=[
 [('MSS',1460),('NOP',None),('WScale',7),('SAckOK',b''),('Timestamp',(1,2))],
 [('SAck',(2010,2020,2030,2040))],
 [('SAck',(2010,2020)),('EOL',None),('NOP',None)],
 [(99,b'\x01\x02\x03')],
 [(99,b'')],
 [(34,b'')],[(34,b'\x01\x02\x03\x04\x05\x06\x07\x08')],[(34,b'\x01\x02\x03')],
 [(254,b'\xf9\x89')],[(254,b'\xf9\x89\x01\x02\x03\x04')],[(254,b'\x12\x34\x56')],
 [(28,b'\x80\x05')],[(28,b'\x00\x05')],
 [(29,b'\x01\x02\x03\x04')],[(29,b'\x01\x02')],
 [(19,b'\x00'*16)],
 [(6,b'\x00\x00\x00\x07')],[(7,b'\x00\x00\x00\x08')],[(11,b'\x00\x00\x00\x09')],[(12,b'\x00\x00\x00\x0a')],[(13,b'\x00\x00\x00\x0b')],
 [(20,b'\x01\x02')],
 [(2,b'\x05')],
 [(3,b'\x07\x08')],
 [(30,b'\x00\x81\x01\x02\x03\x04\x05\x06\x07\x08')],
 [(30,b'\x10\x00\x01\x02\x03\x04')],
 [(30,b'\x20\x01\x01\x02\x03\x04\x05\x06\x07\x08')],
 [(30,b'\x21\x00\x00\x00\x00\x00\x00\x00\x01\x00\x02\x00\x00\x00\x03\x00\x04\x00\x05\x00\x06')],
 [(30,b'\x30\x00\x01\x02')],
 [(30,b'\x40\x00\x01')],
 [(30,b'\x50\x00')],
 [(30,b'\x60\x00\x00\x00\x00\x00\x00\x00\x01')],
 [(30,b'\x70\x00\x00\x00\x00\x00\x00\x00\x01')],
 [(30,b'\x80\x00')],
 [(30,b'\xf0\x00')],
]
for o in opts:
    add(E()/ip4()/T(flags='A',seq=3000,ack=2000,options=o))
    add(E()/ip4()/T(flags='S',seq=3000,options=o))
# raw bad options: length running past header, length 0/1
for raw in [b'\x02\x08\x05\xb4', b'\x01\x01\x02\x00', b'\x01\x01\x05\x01', b'\x08\x0a\x00\x00\x00\x01\x00\x00', b'\x00\x02\x04\x05']:
    p=E()/ip4()/T(flags='A',seq=3000,ack=2000)
    p[TCP].dataofs=5+len(raw)//4
    p=Ether(bytes(p)[:14+20+20]+raw)
    p[IP].len=None; del p[IP].chksum; del p[TCP].chksum
    add(Ether(bytes(p)))
# window/urg big
add(E()/ip4()/T(flags='UA',seq=1,ack=2,window=65535,urgptr=65535))
# ipv6 plain and ext headers
s6='2001:db8::1'; d6='2001:db8::2'
add(E()/IPv6(src=s6,dst=d6)/T(flags='S',seq=7))
add(E()/IPv6(src=s6,dst=d6)/IPv6ExtHdrHopByHop()/T(flags='SA',seq=7,ack=8))
add(E()/IPv6(src=s6,dst=d6)/IPv6ExtHdrDestOpt()/T(flags='A',seq=8,ack=9))
add(E()/IPv6(src=s6,dst=d6)/IPv6ExtHdrRouting(addresses=['2001:db8::3'])/T(flags='A',seq=8,ack=9))
add(E()/IPv6(src=s6,dst=d6)/IPv6ExtHdrFragment(id=5,m=0,offset=0)/T(flags='A',seq=8,ack=9))
add(E()/IPv6(src='::ffff:1.2.3.4',dst='::1')/T(flags='S'))
add(E()/IPv6(src='::1.2.3.4',dst='fe80::1:0:0:0')/T(flags='S'))
add(E()/IPv6(src='1:0:0:2:0:0:0:3',dst='1:0:0:2:0:0:3:4')/T(flags='S'))
# vlan, qinq, mpls, pppoe
add(E()/Dot1Q(vlan=10)/ip4()/T(flags='S'))
add(E()/Dot1Q(vlan=10)/Dot1Q(vlan=20)/ip4()/T(flags='S'))
add(Ether(src='00:00:00:00:00:01',dst='00:00:00:00:00:02',type=0x88a8)/Dot1Q(vlan=10)/ip4()/T(flags='S'))
add(E()/MPLS(label=100,s=1,ttl=64)/ip4()/T(flags='S'))
add(E()/MPLS(label=0,s=1,ttl=64)/ip4()/T(flags='S'))
add(E()/MPLS(label=2,s=1,ttl=64)/IPv6(src=s6,dst=d6)/T(flags='S'))
add(E()/MPLS(label=100,s=0,ttl=64)/MPLS(label=200,s=1,ttl=63,cos=3)/IPv6(src=s6,dst=d6)/T(flags='S'))
add(E()/PPPoE(sessionid=0x11)/Raw(b'\x00\x21')/ip4()/T(flags='S'))
add(E()/PPPoE(sessionid=0x11)/Raw(b'\x00\x57')/IPv6(src=s6,dst=d6)/T(flags='S'))
# PPPoE length shorter than the frame (tcpdump clips IP to it: truncated-ip)
p=E()/PPPoE(sessionid=0x12)/Raw(b'\x00\x21')/ip4()/T(flags='PA',seq=5,ack=6)/(b'q'*30); p[PPPoE].len=2+20+20+10; add(Ether(bytes(p)))
# tunnels
add(E()/IP(src='192.0.2.1',dst='192.0.2.2')/GRE()/ip4()/T(flags='S'))
add(E()/IP(src='192.0.2.1',dst='192.0.2.2')/GRE(proto=0x86dd)/IPv6(src=s6,dst=d6)/T(flags='S'))
add(E()/IP(src='192.0.2.1',dst='192.0.2.2')/GRE(key_present=1,key=5,seqnum_present=1,seqence_number=9)/ip4()/T(flags='S'))
add(E()/IP(src='192.0.2.1',dst='192.0.2.2')/ip4()/T(flags='S'))
add(E()/IP(src='192.0.2.1',dst='192.0.2.2')/IPv6(src=s6,dst=d6)/T(flags='S'))
add(E()/IPv6(src=s6,dst=d6)/ip4()/T(flags='S'))
add(E()/IPv6(src=s6,dst=d6)/IPv6(src='2001:db8::9',dst='2001:db8::a')/T(flags='S'))
add(E()/IP(src='192.0.2.1',dst='192.0.2.2')/UDP(sport=5555,dport=4789)/VXLAN(vni=42)/E()/ip4()/T(flags='S'))
add(E()/IP(src='192.0.2.1',dst='192.0.2.2')/UDP(sport=5555,dport=6081)/GENEVE(vni=42,proto=0x6558)/E()/ip4()/T(flags='S'))
add(E()/IP(src='192.0.2.1',dst='192.0.2.2')/UDP(sport=5555,dport=3544)/IPv6(src=s6,dst=d6)/T(flags='S'))
add(E()/IP(src='192.0.2.1',dst='192.0.2.2')/UDP(sport=5555,dport=2152)/b'\x30\xff\x00\x28\x00\x00\x00\x01'/ip4()/T(flags='S'))
# ipv4 options and fragments
add(E()/IP(src='10.0.0.1',dst='10.0.0.2',options=[IPOption_RR()])/T(flags='S'))
frags=fragment(E()/ip4(id=77)/T(flags='PA',seq=10,ack=20)/(b'y'*100),fragsize=48)
for f in frags: add(f)
frags=fragment(E()/ip4(id=78)/T(flags='PA',seq=10,ack=20)/(b'y'*100),fragsize=16)
for f in frags: add(f)
# header length problems
p=E()/ip4()/T(flags='A'); p[TCP].dataofs=4; add(Ether(bytes(p)))
p=E()/ip4()/T(flags='A'); p[TCP].dataofs=15; add(Ether(bytes(p)))
# ip total length larger than frame
p=E()/ip4(len=200)/T(flags='A'); add(p)
# relative seq: same port both sides, rev logic
add(E()/IP(src='10.0.0.9',dst='10.0.0.3')/TCP(sport=80,dport=80,flags='SA',seq=100,ack=200))
add(E()/IP(src='10.0.0.3',dst='10.0.0.9')/TCP(sport=80,dport=80,flags='A',seq=200,ack=101))
add(E()/IP(src='10.0.0.9',dst='10.0.0.3')/TCP(sport=80,dport=80,flags='PA',seq=101,ack=200)/b'abc')
add(E()/IP(src='10.0.0.9',dst='10.0.0.3')/TCP(sport=80,dport=80,flags='A',seq=104,ack=200,options=[('SAck',(210,220))]))
add(E()/IP(src='10.0.0.3',dst='10.0.0.9')/TCP(sport=80,dport=80,flags='A',seq=200,ack=104,options=[('SAck',(110,120))]))
wrpcap('tcpdump-edges.pcap',pk)
from scapy.all import *
def wpcap(fn, linktype, frames):
    with open(fn,'wb') as f:
        f.write(struct.pack('<IHHiIII',0xa1b2c3d4,2,4,0,0,65535,linktype))
        for i,(b,wire) in enumerate(frames):
            f.write(struct.pack('<IIII',1700000300+i,i,len(b),wire)); f.write(b)
ip=bytes(IP(src='10.0.0.1',dst='10.0.0.2')/TCP(sport=1234,dport=80,flags='S'))
fr=[]
for pt in range(0,8):
  for idx in [1,4,99]:
    h=struct.pack('>HHIHBB8s',0x0800,0,idx,1,pt,6,b'\x00'*8)
    fr.append((h+ip,len(h+ip)))
wpcap('tcpdump-sll2-kinds.pcap',276,fr)
E=Ether(src='00:00:00:00:00:01',dst='00:00:00:00:00:02')
base=bytes(E/IP(src='10.0.0.1',dst='10.0.0.2')/TCP(sport=1234,dport=80,flags='SA',seq=1,ack=2,options=[('MSS',1460),('SAckOK',b''),('Timestamp',(1,2)),('NOP',None),('WScale',7)])/(b'z'*10))
fr=[(base[:c],len(base)) for c in [14+20+2,14+20+4,14+20+13,14+20+20,14+20+22,14+20+24,14+20+27,14+20+30,14+20+39,14+20+40,14+20+41,14+10, 14+19]]
b6=bytes(E/IPv6(src='2001:db8::1',dst='2001:db8::2')/TCP(sport=1234,dport=80,flags='A',seq=1,ack=2))
fr+=[(b6[:c],len(b6)) for c in [14+40+2,14+40+10,14+40+19,14+20]]
wpcap('tcpdump-snaplen-cuts.pcap',1,fr)
