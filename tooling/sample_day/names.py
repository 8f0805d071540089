"""Name pools for the generated people of the sample day (players, referees, G League teams).

Invented combinations, not real people: first and last names are drawn independently, so a combination may
by chance match someone real, but nothing about any real person is implied. ASCII only, so every document
(JSON, HTML, CSV and the WinAnsi-encoded PDFs) prints them the same way.
"""

from __future__ import annotations

# fmt: off
FIRST_NAMES = (
    "Aaron", "Adrian", "Alec", "Andre", "Austin", "Bennett", "Blake", "Brandon", "Caleb", "Cameron",
    "Carter", "Cedric", "Chase", "Cole", "Colin", "Damon", "Darius", "Dawson", "Desmond", "Devin",
    "Dominic", "Dorian", "Drew", "Dylan", "Elijah", "Emeka", "Evan", "Felix", "Gavin", "Grant",
    "Hayden", "Isaac", "Ivan", "Jalen", "Jamal", "Jared", "Jasper", "Jaylen", "Jonah", "Jordan",
    "Julian", "Kai", "Keegan", "Kendall", "Kofi", "Lamar", "Landon", "Leon", "Luca", "Malik",
    "Marcus", "Mason", "Micah", "Miles", "Nathan", "Nikola", "Noah", "Omar", "Owen", "Quentin",
    "Reggie", "Rohan", "Simon", "Tariq", "Terrell", "Theo", "Tobias", "Trey", "Tyler", "Victor",
    "Wesley", "Xavier", "Zane", "Andrei", "Bruno", "Dario", "Goran", "Matteo", "Rafael", "Yusuf",
)

LAST_NAMES = (
    "Abbott", "Adeyemi", "Alston", "Ashford", "Barlowe", "Beckett", "Benning", "Blackwood", "Bramlett",
    "Brennan", "Calloway", "Carrington", "Castellano", "Chambers", "Cobbins", "Corwin", "Crandall",
    "Dalton", "Danforth", "Delacroix", "Dempsey", "Draper", "Dunmore", "Easley", "Ellison", "Emberton",
    "Fairchild", "Falkner", "Fenwick", "Fitzgerald", "Fontaine", "Garrison", "Gentry", "Gilmore",
    "Grantham", "Greer", "Hadley", "Halloway", "Harlan", "Hathaway", "Hendricks", "Holloway", "Ingram",
    "Jarrett", "Jessup", "Kendrick", "Kingsley", "Kowalski", "Langford", "Larkin", "Lockhart", "Lowell",
    "Maddox", "Mallory", "Marsh", "Mayfield", "McAllister", "Mercer", "Merritt", "Montague", "Moreland",
    "Nakamura", "Newcomb", "Norwood", "Okafor", "Oakley", "Orsini", "Pendleton", "Petrovic", "Pickering",
    "Prescott", "Quarles", "Radcliffe", "Ramsey", "Redmond", "Rhodes", "Rockwell", "Rutherford",
    "Salazar", "Sandoval", "Sheffield", "Sinclair", "Slater", "Somerset", "Stanton", "Sterling",
    "Stokes", "Sutherland", "Talbot", "Tillman", "Townsend", "Trask", "Underwood", "Vance", "Varga",
    "Vickers", "Waverly", "Weatherby", "Whitfield", "Wilder", "Winslow", "Yardley", "Youngblood",
    "Zeller", "Ambrose", "Bancroft", "Cavanaugh", "Deveraux", "Eastwood", "Forsythe", "Galloway",
    "Hargrove", "Iverson", "Jennings", "Kessler", "Lindqvist", "Mwangi", "Nwosu", "Ostrowski",
    "Pruitt", "Quinlan", "Rasmussen", "Strickland", "Thibodeau", "Ulrich", "Valdez", "Whitlock",
)

COLLEGES = (
    "Arizona", "Baylor", "Creighton", "Duke", "Florida", "Gonzaga", "Houston", "Illinois", "Kansas",
    "Kentucky", "Louisville", "Marquette", "Memphis", "Michigan", "North Carolina", "Oregon", "Purdue",
    "San Diego State", "Stanford", "Tennessee", "Texas", "UCLA", "Villanova", "Virginia", "Wake Forest",
)

COUNTRIES = (
    ("USA", "us"), ("USA", "us"), ("USA", "us"), ("USA", "us"), ("USA", "us"), ("USA", "us"),
    ("Canada", "ca"), ("France", "fr"), ("Serbia", "rs"), ("Australia", "au"), ("Nigeria", "ng"),
    ("Germany", "de"), ("Spain", "es"), ("Lithuania", "lt"), ("Japan", "jp"),
)

# G League teams that appear in the referee assignments' "gl" section: (city, abbreviation).
G_LEAGUE = (
    ("Westchester", "WES"), ("Maine", "MNE"), ("Delaware", "DEL"), ("Long Island", "LIN"),
    ("Capital City", "CPS"), ("Greensboro", "GBO"), ("Windy City", "WCB"), ("Grand Rapids", "GRR"),
)
# fmt: on
