#!/usr/bin/env python3
# Writes this folder: a hand-made WordNet-format database (wndb(5WN)) for WordNetTests.
# Run from this folder: python3 make-fixture.py .  The offsets are computed, the tests check them by hand.
import os, sys
out = sys.argv[1]
HEADER = ["  1 A hand-made WordNet-format fixture for Winnow's tests (not WordNet data).  ",
          "  2 Offsets are byte offsets in the data files; these lines sort first.  "]
synsets = {
 'noun': [("car", ["car", "auto", "automobile"]), ("car2", ["car", "railcar", "railway_car"]),
          ("mouse", ["mouse", "computer_mouse"]), ("man", ["man", "adult_male"]),
          ("axis", ["axis", "axle"]), ("axe", ["axe", "ax"]), ("glass", ["glass", "drinking_glass"]),
          ("boss", ["boss", "foreman"]), ("bos", ["Bos", "genus_Bos"]),
          ("lincoln", ["Lincoln", "Abraham_Lincoln", "President_Lincoln"]),
          ("running", ["running", "running_play"]),
          ("start", ["start", "beginning", "commencement", "outset", "get-go", "kickoff", "starting_time", "showtime", "offset", "first", "opening"])],
 'verb': [("run", ["run", "sprint"]), ("run2", ["run", "operate", "function"]), ("go", ["go", "travel", "move"])],
 'adj': [("happy", ["happy(a)"]), ("happy2", ["well-chosen", "happy"]), ("happy3", ["glad(p)", "happy"]),
         ("good", ["good", "full"]), ("large", ["large(a)", "big"])],
 'adv': [("quickly", ["quickly", "speedily", "quick"]), ("well", ["well", "easily"])],
}
letter = {'noun': 'n', 'verb': 'v', 'adj': 'a', 'adv': 'r'}
exc = {'noun': ["axes axe axis", "men man", "mice mouse"], 'verb': ["ran run", "running run", "went go"],
       'adj': ["best good", "better good"], 'adv': ["better well"]}
for pos, items in synsets.items():
    data = "".join(h + "\n" for h in HEADER)
    offsets = {}
    index = {}
    for i, (name, words) in enumerate(items):
        off = len(data.encode())
        offsets[name] = off
        sstype = letter[pos] if not (pos == 'adj' and i in (1, 2)) else 's'
        ptrs = "000"
        frames = " 01 + 02 00" if pos == 'verb' else ""
        data += "%08d %02d %s %02x %s %s%s | fixture gloss %s  \n" % (off, 0, sstype, len(words),
                 " ".join("%s %x" % (w, 1 if name.endswith("2") and j == 0 else 0) for j, w in enumerate(words)), ptrs, frames, name)
        for w in words:
            lemma = w.split("(")[0].lower()
            index.setdefault(lemma, []).append(off)
    lines = []
    for lemma in sorted(index, key=lambda s: s.encode()):
        offs = index[lemma]
        ptr = "2 @ ~ " if lemma == "car" else "0 "
        lines.append("%s %s %d %s%d 0 %s  " % (lemma, letter[pos], len(offs), ptr, len(offs), " ".join("%08d" % o for o in offs)))
    open(os.path.join(out, "data." + pos), "w").write(data)
    open(os.path.join(out, "index." + pos), "w").write("".join(h + "\n" for h in HEADER) + "".join(l + "\n" for l in lines))
    open(os.path.join(out, pos + ".exc"), "w").write("".join(l + "\n" for l in sorted(exc[pos])))
