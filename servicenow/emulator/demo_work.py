"""The demo company's HR catalogue, incidents and HR cases, with their journal histories."""

from __future__ import annotations

from typing import TYPE_CHECKING

from servicenow.emulator.choices import CHOICES

if TYPE_CHECKING:
    from servicenow.emulator.seed import DemoCompany

# COE table → (topic category, [(service, topic detail, audience departments, description)])
CATALOGUE: dict[str, tuple[str, list[tuple[str, str, str, str]]]] = {
    "sn_hr_core_case_payroll": (
        "Payroll",
        [
            ("Payroll Inquiry", "Pay statements", "", "Questions about a payslip or a payment."),
            ("Direct Deposit Change", "Bank details", "", "Change the account your pay goes to."),
            ("Tax Form Request", "Tax documents", "", "Request a copy of a tax form."),
            ("Sales Commission Inquiry", "Commissions", "Sales", "Questions about commissions."),
        ],
    ),
    "sn_hr_core_case_benefits": (
        "Benefits",
        [
            ("Benefits Enrollment", "Enrollment", "", "Enroll in or change benefit plans."),
            ("Health Insurance Question", "Health", "", "Questions about health coverage."),
        ],
    ),
    "sn_hr_core_case_workforce_admin": (
        "Leave",
        [
            ("Leave of Absence Request", "Leave of absence", "", "Request time away from work."),
            ("Parental Leave", "Parental leave", "", "Plan parental leave."),
        ],
    ),
    "sn_hr_core_case_relations": (
        "Employee Relations",
        [
            ("Workplace Concern", "Concerns", "", "Raise a concern about the workplace."),
            ("Policy Question", "Policies", "", "Ask how an HR policy applies to you."),
        ],
    ),
    "sn_hr_core_case_talent_management": (
        "Talent",
        [
            ("Training Request", "Learning", "", "Ask for a course or certification."),
            ("Performance Review Question", "Performance", "", "Questions about reviews."),
            (
                "Engineering Conference Sponsorship",
                "Conferences",
                "Engineering",
                "Sponsorship to attend an engineering conference.",
            ),
        ],
    ),
    "sn_hr_core_case_operations": (
        "Workplace",
        [
            ("Employee Information Change", "Personal data", "", "Update address or name."),
            ("Workspace Request", "Workspace", "", "Desk, locker or accessibility needs."),
        ],
    ),
}

# (caller, short description, category, subcategory, impact, urgency, final state)
ABEL_INCIDENTS = [
    ("Laptop battery drains in an hour", "hardware", "cpu", "2", "2", "2"),
    ("Cannot connect to VPN from home", "network", "vpn", "2", "2", "1"),
    ("Outlook keeps asking for my password", "software", "email", "3", "2", "3"),
    ("CRM dashboard loads slowly", "software", "os", "2", "1", "2"),
    ("Request a second monitor", "hardware", "monitor", "3", "3", "6"),
    ("Printer on the third floor jams", "hardware", "", "3", "3", "7"),
]
BETH_INCIDENTS = [
    ("Excel crashes when opening the budget", "software", "os", "2", "2", "2"),
    ("Wi-Fi drops in meeting room 4", "network", "wireless", "3", "2", "1"),
    ("Keyboard keys sticking", "hardware", "keyboard", "3", "3", "6"),
]
OTHER_TOPICS = [
    "Password reset needed",
    "Email not syncing on phone",
    "Cannot access shared drive",
    "Laptop will not boot",
    "Software installation request",
    "Teams calls drop",
    "VPN very slow",
    "Monitor flickers",
    "Database report times out",
    "Badge does not open door",
]
# (owner, service, final state)
ABEL_CASES = [
    ("Payroll Inquiry", "20", "Question about my last payslip"),
    ("Leave of Absence Request", "10", "Two weeks of unpaid leave in March"),
    ("Benefits Enrollment", "18", "Add my partner to my health plan"),
    ("Training Request", "1", "AWS certification course"),
    ("Employee Information Change", "3", "Update my home address"),
]
BETH_CASES = [
    ("Direct Deposit Change", "20", "New bank account for my salary"),
    ("Health Insurance Question", "3", "Is physiotherapy covered?"),
]


def seed_catalogue(company: DemoCompany) -> None:
    """Topic categories, topic details and HR services across six COEs."""
    for coe, (category, services) in CATALOGUE.items():
        category_id = company.add(
            "sn_hr_core_topic_category", category, name=category, active="true", coe=coe
        )
        for name, detail, audience, description in services:
            detail_id = company.add(
                "sn_hr_core_topic_detail",
                f"{category}:{detail}",
                name=detail,
                active="true",
                topic_category=category_id,
            )
            company.services[name] = company.add(
                "sn_hr_core_service",
                name,
                name=name,
                active="true",
                fulfillment_type="manual",
                coe=coe,
                topic_category=category_id,
                topic_detail=detail_id,
                description=description,
                u_audience_departments=company.departments.get(audience, ""),
            )


def seed_work(company: DemoCompany) -> None:
    """Incidents and HR cases in every state, with comments and work notes."""
    abel, beth = company.users["abel.tuter"], company.users["beth.anglin"]
    for number, spec in enumerate(ABEL_INCIDENTS):
        _incident(company, f"abel:{number}", abel.user_name, *spec)
    for number, spec in enumerate(BETH_INCIDENTS):
        _incident(company, f"beth:{number}", beth.user_name, *spec)
    employees = [name for name, actor in company.users.items() if not actor.roles]
    states = [value for value, _, _ in CHOICES[("incident", "state")]]
    for number in range(24):
        caller = company.rng.choice(employees[2:])
        topic = company.rng.choice(OTHER_TOPICS)
        levels = (company.rng.choice("123"), company.rng.choice("123"))
        state = states[number % len(states)]
        _incident(company, f"other:{number}", caller, topic, "inquiry", "", *levels, state)
    for number, (service, state, text) in enumerate(ABEL_CASES):
        _case(company, f"abel:{number}", abel.user_name, service, state, text)
    for number, (service, state, text) in enumerate(BETH_CASES):
        _case(company, f"beth:{number}", beth.user_name, service, state, text)
    hr_states = [value for value, _, _ in CHOICES[("sn_hr_core_case", "state")]]
    for number in range(12):
        owner = company.rng.choice(employees[2:])
        service = company.rng.choice(sorted(company.services))
        _case(company, f"other:{number}", owner, service, hr_states[number % len(hr_states)], "")


def _incident(
    company: DemoCompany,
    key: str,
    caller_name: str,
    text: str,
    category: str,
    subcategory: str,
    impact: str,
    urgency: str,
    state: str,
) -> None:
    caller, agent = company.users[caller_name], company.users["itil.agent"]
    values = {
        "caller_id": caller.sys_id,
        "short_description": text,
        "description": f"{text}. Reported through the self-service portal.",
        "category": category,
        "subcategory": subcategory,
        "impact": impact,
        "urgency": urgency,
        "contact_type": "self-service",
        "comments": f"{text}. Can someone help?",
    }
    sys_id = company.add_as(caller, "incident", key, values)
    if state == "1":
        return
    group = company.groups["Service Desk"]
    company.touch(
        "incident",
        sys_id,
        agent,
        {
            "state": "2",
            "assignment_group": group,
            "assigned_to": agent.sys_id,
            "work_notes": "Checked the knowledge base; looking into it.",
            "comments": "Thanks, I am looking into this now.",
        },
    )
    if state == "3":
        question = "Could you tell me when this started and send a screenshot?"
        company.touch(
            "incident", sys_id, agent, {"state": "3", "hold_reason": "1", "comments": question}
        )
    elif state in ("6", "7"):
        company.touch("incident", sys_id, caller, {"comments": "It works again, thank you."})
        resolution = {
            "state": "6",
            "close_code": "Solution provided",
            "close_notes": "Fixed remotely with the caller.",
            "comments": "Resolved; reopen if it happens again.",
        }
        company.touch("incident", sys_id, agent, resolution)
        if state == "7":
            company.touch("incident", sys_id, agent, {"state": "7"}, minutes=4320)
    elif state == "8":
        cancel = {"state": "8", "work_notes": "Duplicate request."}
        company.touch("incident", sys_id, agent, cancel)


def _case(
    company: DemoCompany, key: str, owner_name: str, service: str, state: str, text: str
) -> None:
    owner, agent = company.users[owner_name], company.users["hr.agent"]
    values = {
        "hr_service": company.services[service],
        "opened_for": owner.sys_id,
        "description": f"<p>{text or service}</p>",
        "contact_type": "self-service",
        "comments": f"Hello, I need help with: {text or service}.",
    }
    if text:
        values["short_description"] = text
    sys_id = company.add_as(owner, "sn_hr_core_case", key, values)
    if state == "10":
        return
    updates = {"state": state}
    if state != "1":
        updates |= {"assigned_to": agent.sys_id, "work_notes": "Verified employee record."}
        updates["comments"] = "Thanks for reaching out; I am reviewing your request."
    company.touch("sn_hr_core_case", sys_id, agent, updates)
    if state in ("3", "18"):
        done = {"comments": "This is done on our side."}
        company.touch("sn_hr_core_case", sys_id, agent, done)
