from datetime import date
from tests.reminders.conftest import local

def test_smoke(mail_app, world, smtp, run):
    r = run(local(2017, 4, 17))
    print(r)
    for m in smtp.received:
        print(m.to, m.message["Subject"], m.reminders)
    r = run(local(2017, 4, 18))
    print(r)
    r = run(local(2017, 4, 20))
    print(r)
    for m in smtp.received:
        print(m.to, m.message["Subject"], m.reminders)
    print(smtp.received[0].message.get_body(("plain",)).get_content())
    assert 0
